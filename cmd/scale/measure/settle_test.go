package measure

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Steady needs a collection during the wait and then hold with the
// scavenger returning nothing and the resident set within 1 MiB: the
// scavenger's return of a burst (released bytes growing at every
// wake-up) keeps the wait going however long, and so does a collection
// the hold has not yet followed.
func TestSteadiness(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	const mb = 1 << 20
	read := func(cycles, releasedMB, rssMB uint64) scavReading {
		return scavReading{cycles: cycles, released: releasedMB * mb, rss: rssMB * mb}
	}
	s := steadiness{hold: 30 * time.Second}
	steps := []struct {
		s    int
		r    scavReading
		want bool
	}{
		{0, read(5, 100, 900), false},
		{40, read(5, 100, 900), false},  // quiet, but no collection yet in the wait
		{60, read(6, 100, 900), false},  // a collection: the hold starts after it
		{70, read(6, 150, 850), false},  // the scavenger returns the burst
		{110, read(6, 400, 600), false}, // its last return
		{120, read(6, 400, 600), false}, // quiet for 10 s
		{135, read(6, 400, 601), false}, // RSS within the slack: still quiet
		{139, read(6, 400, 600), false}, // 29 s
		{140, read(6, 400, 600), true},  // 30 s quiet after the last change
	}
	for _, st := range steps {
		assert.Equal(t, st.want, s.observe(st.r, at(st.s)), "at %d s", st.s)
	}

	s = steadiness{hold: 30 * time.Second}
	s.observe(read(5, 0, 500), at(0))
	s.observe(read(6, 0, 500), at(10))
	assert.False(t, s.observe(read(6, 0, 502), at(45)), "RSS moved 2 MiB: the hold starts again")
	assert.False(t, s.observe(read(6, 0, 502), at(70)))
	assert.True(t, s.observe(read(6, 0, 502), at(75)))
	assert.False(t, s.observe(read(7, 0, 502), at(80)), "a new collection: the scavenger may follow it")
}
