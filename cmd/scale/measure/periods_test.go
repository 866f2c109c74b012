package measure

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
		{Length: 120 * time.Second, CPU: 600 * time.Millisecond},
		{Length: 120 * time.Second, CPU: 100 * time.Millisecond},
	}, p.closed)
	assert.InDelta(t, 0.5, p.closed[0].Percent(), 1e-9)
}
