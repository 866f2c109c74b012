package e2e

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certflow/certflow/meta"
)

// certPhases are the steps of one certflow issuance that benchProbe
// splits its latency into, each ending where the next begins, so their
// means add up to the mean latency: where a certificate's time goes when
// several are in flight (the serial timeline shows the same for one).
var certPhases = []string{
	"apply→new order",     // Certificate, CertificateRequest, the Order's first visit
	"new order→present",   // newOrder, the authorization, the Challenge made and visited
	"present",             // the solver's Present
	"present→self-check",  // the hop to the accept's visit
	"self-check+accept",   // the local check, the intent, the accept POST
	"accept→first look",   // the first pause
	"first look→verdict",  // the looks until the authorization's verdict
	"verdict→finalize",    // the clean-up, the hop to the Order, its finalize intent
	"finalize→downloaded", // finalize, the looks at the order, the download
	"downloaded→Ready",    // the Order's result reaching the Certificate
}

// phaseSplit logs, over the certificates of a round, the mean and the
// median of each of certPhases, and how many looks at the authorization
// each took. A certificate missing a step (a retry, an error) is left out.
func (p *probe) phaseSplit(sb *strings.Builder) {
	byCert := map[string][]probeExec{}
	for _, e := range p.execs {
		byCert[e.cert] = append(byCert[e.cert], e)
	}
	phases := make([][]time.Duration, len(certPhases))
	var looks []int
	for _, s := range p.certs {
		ex := byCert[s.cert]
		slices.SortFunc(ex, func(a, b probeExec) int { return a.begin.Compare(b.begin) })
		marks, n, ok := phaseMarks(s, ex)
		if !ok {
			continue
		}
		for i := range certPhases {
			phases[i] = append(phases[i], marks[i+1].Sub(marks[i]))
		}
		looks = append(looks, n)
	}
	if len(looks) == 0 {
		return
	}
	fmt.Fprintf(sb, "probe: phases of %d certificates (ms, mean/median):", len(looks))
	for i, name := range certPhases {
		var sum time.Duration
		for _, d := range phases[i] {
			sum += d
		}
		fmt.Fprintf(sb, " %s %.2f/%.2f |", name, ms(sum)/float64(len(phases[i])), ms(median(phases[i])))
	}
	var all int
	for _, n := range looks {
		all += n
	}
	fmt.Fprintf(sb, " looks at the authorization %.2f\n", float64(all)/float64(len(looks)))
}

// phaseMarks returns the instants that bound certPhases for one
// certificate's span s and executions ex (sorted by begin), and the number
// of the Challenge's looks at its authorization.
func phaseMarks(s probeSpan, ex []probeExec) ([]time.Time, int, bool) {
	find := func(from int, kind meta.Kind, what string) int {
		for i := from; i < len(ex); i++ {
			if ex[i].kind == kind && ex[i].what == what {
				return i
			}
		}
		return -1
	}
	newOrder := find(0, "Order", "new order")
	present := find(max(newOrder, 0), "Challenge", "present")
	accept := find(max(present, 0), "Challenge", "self-check and accept")
	look := find(max(accept, 0), "Challenge", "get authorization")
	finalize := find(max(look, 0), "Order", "finalize")
	if newOrder < 0 || present < 0 || accept < 0 || look < 0 || finalize < 0 {
		return nil, 0, false
	}
	verdict, n := look, 0
	for i := look; i < finalize; i++ {
		if ex[i].kind == "Challenge" && ex[i].what == "get authorization" {
			verdict, n = i, n+1
		}
	}
	return []time.Time{s.begin, ex[newOrder].begin, ex[present].begin, ex[present].end,
		ex[accept].begin, ex[accept].end, ex[look].begin, ex[verdict].end,
		ex[finalize].begin, ex[finalize].end, s.end}, n, true
}
