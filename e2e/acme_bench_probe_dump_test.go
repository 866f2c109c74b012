package e2e

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchProbeDump, BENCH_PROBE_DUMP=n with BENCH_PROBE set, prints the
// timelines of n certificates of a certflow round (from the middle of it):
// each execution (kind, effect, when it began and ended, the next visit it
// asked for) and the requests its goroutine made meanwhile, relative to
// the certificate's start: where one certificate's time goes when several
// are in flight.
var benchProbeDump, _ = strconv.Atoi(os.Getenv("BENCH_PROBE_DUMP"))

// It prints to stdout: a benchmark's log is cut short.
func (p *probe) dump() {
	if benchProbeDump <= 0 || len(p.certs) == 0 {
		return
	}
	var sb strings.Builder
	defer func() { fmt.Print(sb.String()) }()
	byCert := map[string][]probeExec{}
	for _, e := range p.execs {
		byCert[e.cert] = append(byCert[e.cert], e)
	}
	byG := map[uint64][]probeReq{}
	for _, r := range p.reqs {
		byG[r.g] = append(byG[r.g], r)
	}
	certs := slices.Clone(p.certs)
	slices.SortFunc(certs, func(a, b probeSpan) int { return a.begin.Compare(b.begin) })
	from := max(0, len(certs)/2-benchProbeDump/2)
	for _, s := range certs[from:min(len(certs), from+benchProbeDump)] {
		at := func(t time.Time) float64 { return ms(t.Sub(s.begin)) }
		fmt.Fprintf(&sb, "probe: %s total %.2f ms, from %.2f ms into the round\n", s.cert, ms(s.end.Sub(s.begin)), ms(s.begin.Sub(p.start)))
		ex := byCert[s.cert]
		slices.SortFunc(ex, func(a, b probeExec) int { return a.begin.Compare(b.begin) })
		for _, e := range ex {
			next := ""
			if !e.next.IsZero() {
				next = fmt.Sprintf(" next@%.2f", at(e.next))
			}
			fmt.Fprintf(&sb, "  %8.2f %8.2f (%6.2f) %s [%s]%s\n", at(e.begin), at(e.end), ms(e.end.Sub(e.begin)), e.kind, e.what, next)
			for _, r := range byG[e.g] {
				if r.enter.Before(e.begin) || r.answer.After(e.end) {
					continue
				}
				fmt.Fprintf(&sb, "      req %8.2f→%8.2f in Pebble %.2f %s\n", at(r.enter.Add(-p.rtt/2)), at(r.answer.Add(p.rtt-p.rtt/2)), ms(r.answer.Sub(r.turn)), r.key)
			}
		}
	}
}
