package measure

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A period runs from the wake-up that first saw one collection to the
// one that first saw the next; what comes before the first collection
// and after the last is no whole period.
func TestPeriods_FromCollectionToCollection(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	read := func(cycles uint64, cpuMS int) cpuReading {
		return cpuReading{cycles: cycles, user: time.Duration(cpuMS) * time.Millisecond, system: time.Millisecond, ok: true}
	}
	var p periods
	p.observe(read(7, 0), at(0))
	p.observe(read(7, 50), at(1))    // no collection yet
	p.observe(read(8, 900), at(30))  // the first: a period opens
	p.observe(read(8, 1000), at(90)) // nothing ends it
	p.observe(read(9, 1500), at(150))
	p.observe(read(10, 1600), at(270))
	p.observe(read(10, 1700), at(300)) // the tail: no whole period
	assert.Equal(t, []CollectionPeriod{
		{Length: 120 * time.Second, CPU: 600 * time.Millisecond, Collections: 1},
		{Length: 120 * time.Second, CPU: 100 * time.Millisecond, Collections: 1},
	}, p.closed)
	assert.InDelta(t, 0.5, p.closed[0].Percent(), 1e-9)
}

// A wake-up that fails to read the CPU bounds no period, the window's
// first included: the periods run from the readings that did.
func TestPeriods_AFailedReadingBoundsNone(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	read := func(cycles uint64, cpuMS int) cpuReading {
		return cpuReading{cycles: cycles, user: time.Duration(cpuMS) * time.Millisecond, ok: true}
	}
	var p periods
	p.observe(cpuReading{cycles: 7}, at(0)) // the kernel's counts unread
	p.observe(read(7, 10), at(1))
	p.observe(read(8, 100), at(30))
	p.observe(cpuReading{cycles: 9}, at(150))
	p.observe(read(9, 400), at(151))
	assert.Equal(t, []CollectionPeriod{{Length: 121 * time.Second, CPU: 300 * time.Millisecond, Collections: 1}}, p.closed)
}

// Waking less often than the runtime collects, a wake-up sees two
// collections at once: the period says so, its share of a core unchanged.
func TestPeriods_AWakeUpSeeingTwoCollections(t *testing.T) {
	t0 := time.Unix(0, 0)
	read := func(cycles uint64, cpuMS int) cpuReading {
		return cpuReading{cycles: cycles, user: time.Duration(cpuMS) * time.Millisecond, ok: true}
	}
	var p periods
	p.observe(read(1, 0), t0)
	p.observe(read(2, 100), t0.Add(5*time.Minute))
	p.observe(read(4, 2500), t0.Add(10*time.Minute))
	require.Equal(t, []CollectionPeriod{{Length: 5 * time.Minute, CPU: 2400 * time.Millisecond, Collections: 2}}, p.closed)
	assert.InDelta(t, 0.8, p.closed[0].Percent(), 1e-9)
	assert.Equal(t, "5m0s: 2.4s (0.80%) over 2 collections", formatPeriods(p.closed))
}
