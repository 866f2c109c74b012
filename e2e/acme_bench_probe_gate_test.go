package e2e

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certflow/certflow/internal/pebblegate"
)

// gateOccupancy sweeps the requests' spans: busy is how long Pebble had at
// least one of them in it, idleQueued how long it had none while some
// were queued at the gate (a hand-off not yet made, or one made and not
// yet run).
func gateOccupancy(reqs []probeReq) (busy, idleQueued time.Duration) {
	type edge struct {
		at           time.Time
		dIn, dQueued int
	}
	edges := make([]edge, 0, 4*len(reqs))
	for _, r := range reqs {
		edges = append(edges,
			edge{at: r.enter, dQueued: 1}, edge{at: r.turn, dQueued: -1},
			edge{at: r.turn, dIn: 1}, edge{at: r.answer, dIn: -1})
	}
	slices.SortFunc(edges, func(a, b edge) int { return a.at.Compare(b.at) })
	var in, queued int
	for i, e := range edges {
		if i > 0 {
			d := e.at.Sub(edges[i-1].at)
			switch {
			case in > 0:
				busy += d
			case queued > 0:
				idleQueued += d
			}
		}
		in += e.dIn
		queued += e.dQueued
	}
	return busy, idleQueued
}

// classSplit writes, by class, how many requests went in, how long they
// queued at the gate and how long they were in Pebble.
func (p *probe) classSplit(sb *strings.Builder) {
	var n [3]int
	var queued, held [3]time.Duration
	for _, r := range p.reqs {
		n[r.class]++
		queued[r.class] += r.turn.Sub(r.enter)
		held[r.class] += r.answer.Sub(r.turn)
	}
	sb.WriteString("probe: by class (requests: queued / in Pebble, ms/request):")
	for _, c := range []pebblegate.Class{pebblegate.ClassOrders, pebblegate.ClassAuthz, pebblegate.ClassFree} {
		if n[c] == 0 {
			continue
		}
		fmt.Fprintf(sb, " %s %d: %.3f / %.3f;", c, n[c], ms(queued[c])/float64(n[c]), ms(held[c])/float64(n[c]))
	}
	sb.WriteString("\n")
}
