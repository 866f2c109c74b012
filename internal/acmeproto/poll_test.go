package acmeproto

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPollPause(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name       string
		p          Poll
		n          int
		retryAfter time.Duration
		want       time.Duration
	}{
		{"first look after the default first pause", Poll{}, 1, 0, 5 * ms},
		{"then doubling", Poll{}, 2, 0, 10 * ms},
		{"and doubling", Poll{}, 5, 0, 80 * ms},
		{"up to the default cap", Poll{}, 20, 0, DefaultMaxPoll},
		{"n below 1 is the first look", Poll{}, 0, 0, 5 * ms},
		{"custom first pause", Poll{First: 250 * ms, Max: 10 * time.Second}, 3, 0, time.Second},
		{"custom cap", Poll{First: 250 * ms, Max: 10 * time.Second}, 10, 0, 10 * time.Second},
		{"a cap below the first pause is the first pause", Poll{First: time.Second, Max: ms}, 4, 0, time.Second},
		{"the CA's Retry-After wins", Poll{}, 1, 3 * time.Second, 3 * time.Second},
		{"also above the cap", Poll{}, 20, time.Minute, time.Minute},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.p.Pause(tt.n, tt.retryAfter), tt.name)
	}
}

func TestPollPauseSince(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name       string
		p          Poll
		elapsed    time.Duration
		retryAfter time.Duration
		want       time.Duration
	}{
		{"right after the accept: the first pause", Poll{}, 0, 0, 5 * ms},
		{"as long again as it has been", Poll{}, 40 * ms, 0, 40 * ms},
		{"capped", Poll{}, time.Minute, 0, DefaultMaxPoll},
		{"custom bounds", Poll{First: 20 * ms, Max: 100 * ms}, 3 * ms, 0, 20 * ms},
		{"custom cap", Poll{First: 20 * ms, Max: 100 * ms}, time.Second, 0, 100 * ms},
		{"the CA's Retry-After wins", Poll{}, 40 * ms, 2 * time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.p.PauseSince(tt.elapsed, tt.retryAfter), tt.name)
	}
}

// Looks that each wait as long as it has been double: a wait of t costs
// about log2(t/First) looks, never a look per fixed quantum.
func TestPollPauseSinceDoubles(t *testing.T) {
	p := Poll{}
	var at time.Duration
	looks := 0
	for at < 10*time.Second {
		at += p.PauseSince(at, 0)
		looks++
	}
	// 5ms·2^k reaches 4s after 10 looks; the cap adds one look per 4s.
	assert.Equal(t, 13, looks)
}
