package e2e

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/internal/acmepost"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store/memory"
)

// timeline records, for one certificate at a time, when each ACME request
// left and was answered and when each reconcile decided and finished.
type timeline struct {
	mu     sync.Mutex
	start  time.Time
	events []tlEvent
}

type tlEvent struct {
	what       string
	begin, end time.Duration
}

func (t *timeline) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.start, t.events = time.Now(), nil
}

func (t *timeline) add(what string, begin, end time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, tlEvent{what: what, begin: begin.Sub(t.start), end: end.Sub(t.start)})
}

func (t *timeline) take() []tlEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	ev := t.events
	t.events = nil
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].begin < ev[j].begin })
	return ev
}

type tlTransport struct {
	t    *timeline
	base http.RoundTripper
}

func (tr tlTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := requestKey(req)
	b := time.Now()
	resp, err := tr.base.RoundTrip(req)
	tr.t.add("ACME "+key, b, time.Now())
	return resp, err
}

// tlHTTP01 records each HTTP-01 request h answers.
type tlHTTP01 struct {
	t *timeline
	h http.Handler
}

func (s tlHTTP01) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := time.Now()
	s.h.ServeHTTP(w, r)
	s.t.add("HTTP-01 GET "+r.UserAgent(), b, time.Now())
}

func (t *timeline) observer() reconcile.Observer {
	return func(kind meta.Kind, _ any, p *reconcile.Plan) func(time.Time, error) {
		b := time.Now()
		name := string(kind) + " " + p.Object.GetMeta().Name + "@" + p.Object.GetMeta().ResourceVersion
		if p.Effect != nil {
			name += " [" + p.Effect.Name + "]"
		}
		if p.Write {
			name += " w"
		}
		for _, c := range p.Create {
			name += " +" + string(c.GetKind())
		}
		for _, d := range p.Delete {
			name += " -" + string(d.Ref.Kind)
		}
		return func(next time.Time, err error) {
			e := time.Now()
			s := name
			if !next.IsZero() {
				s += fmt.Sprintf(" next+%.1fms", float64(next.Sub(e))/1e6)
			}
			if err != nil {
				s += " err=" + strings.SplitN(err.Error(), ":", 2)[0]
			}
			t.add(s, b, e)
		}
	}
}

// BenchmarkACMETimeline times single issuances against a standalone
// Pebble, one certificate in flight, the floor loop's and certflow's taking
// turns (so a load spike on the shared machine hits both alike): it
// reports each one's median wall time per certificate and their ratio
// (vs-floor), and prints the median run of each (every ACME request on the
// client's transport, and for certflow every decision the reconcilers
// executed, with what it wrote and when it asked to look again) and the
// median of each phase (the gap before each ACME request, the request, and
// the gap after the last one until the certificate is Ready). With
// one certificate in flight, certflow's time minus the floor's is its
// overhead. Run with -benchtime=1x (20 certificates of each per round);
// TL_RUN=fastest or slowest prints that run instead of the median one;
// TL_ALL=1 prints every run as well; TL_CA=rtt runs against
// BenchmarkACMEIssuance's rtt CA instead.
func BenchmarkACMETimeline(b *testing.B) {
	for _, shape := range []issuanceShape{{name: "valid", certs: 20, conc: 1}, {name: "http01", certs: 20, conc: 1, http01: true}} {
		b.Run(shape.name, func(b *testing.B) {
			rig := startBenchCA(b, cmp.Or(os.Getenv("TL_CA"), "pebble"), shape)
			tl := &timeline{}
			rig.client = &http.Client{Transport: tlTransport{t: tl, base: rig.client.Transport}, Timeout: rig.client.Timeout}
			ctx, cancel := context.WithTimeout(context.Background(), benchTimeout+time.Duration(b.N)*10*time.Second)
			defer cancel()
			cl := registeredBenchClient(ctx, b, rig)
			post := &acmepost.Client{}
			m, stop := benchManagerWith(ctx, b, rig, shape,
				certflow.Config{Store: memory.New(), HTTPClient: rig.client, Observer: tl.observer()})
			defer stop()
			// Every HTTP-01 GET certflow's handler answers (its self-check,
			// then the CA's validation) is on the timeline too: when the CA
			// fetched the answer says how soon after it the verdict was
			// there to be seen.
			rig.http01.serve(tlHTTP01{t: tl, h: m.HTTPHandler(http.NotFoundHandler())})
			var floorRuns, cfRuns [][]tlEvent
			var floorTot, cfTot []time.Duration
			b.ResetTimer()
			for i := range shape.certs * b.N {
				tl.reset()
				s := time.Now()
				if err := bareIssue(ctx, cl, post, fmt.Sprintf("t%d.bench.test", i), rig.http01, finalizeFloor); err != nil {
					rig.fail(b, err)
				}
				floorTot = append(floorTot, time.Since(s))
				floorRuns = append(floorRuns, tl.take())

				c := benchCertificate(fmt.Sprintf("tl%d", i))
				tl.reset()
				s = time.Now()
				if err := m.Apply(ctx, c); err != nil {
					b.Fatal(err)
				}
				if err := m.WaitReady(ctx, meta.RefOf(c)); err != nil {
					rig.fail(b, err)
				}
				cfTot = append(cfTot, time.Since(s))
				cfRuns = append(cfRuns, tl.take())
			}
			b.ReportMetric(ms(median(floorTot)), "floor-ms")
			b.ReportMetric(ms(median(cfTot)), "certflow-ms")
			b.ReportMetric(float64(median(floorTot))/float64(median(cfTot)), "vs-floor")
			printRuns("floor", floorRuns, floorTot)
			printRuns("certflow", cfRuns, cfTot)
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func printRuns(name string, runs [][]tlEvent, tot []time.Duration) {
	// The median run, in full; and per ACME request ordinal the median
	// begin and end.
	idx := make([]int, len(tot))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return tot[idx[i]] < tot[idx[j]] })
	mid := idx[len(idx)/2]
	if os.Getenv("TL_RUN") == "slowest" {
		mid = idx[len(idx)-1]
	}
	if os.Getenv("TL_RUN") == "fastest" {
		mid = idx[0]
	}
	var sb strings.Builder
	// Every run's total, in order: the floor's run i and certflow's run i
	// took turns, so their differences pair runs that met the same load.
	fmt.Fprintf(&sb, "%s totals (ms):", name)
	for _, d := range tot {
		fmt.Fprintf(&sb, " %.2f", ms(d))
	}
	fmt.Fprintf(&sb, "\n%s: median run #%d total %v\n", name, mid, tot[mid])
	for _, e := range runs[mid] {
		fmt.Fprintf(&sb, "  %7.2f %7.2f (%5.2f) %s\n", float64(e.begin)/1e6, float64(e.end)/1e6, float64(e.end-e.begin)/1e6, e.what)
	}
	if os.Getenv("TL_ALL") != "" {
		for r, evs := range runs {
			fmt.Fprintf(&sb, "%s run #%d total %.2f\n", name, r, ms(tot[r]))
			for _, e := range evs {
				fmt.Fprintf(&sb, "  %7.2f %7.2f (%5.2f) %s\n", float64(e.begin)/1e6, float64(e.end)/1e6, float64(e.end-e.begin)/1e6, e.what)
			}
		}
	}
	// per-ordinal of ACME requests
	var acmeSeq [][]tlEvent
	for _, r := range runs[1:] {
		var s []tlEvent
		for _, e := range r {
			if strings.HasPrefix(e.what, "ACME ") && !strings.Contains(e.what, "nonce") && !strings.Contains(e.what, "/dir") {
				s = append(s, e)
			}
		}
		acmeSeq = append(acmeSeq, s)
	}
	// Phases: the gap before each request, the request itself, and the
	// gap after the last one until the certificate was ready.
	var gaps [8][]time.Duration
	var reqs [7][]time.Duration
	for r, s := range acmeSeq {
		if len(s) != 7 {
			continue
		}
		for k := range 7 {
			prev := time.Duration(0)
			if k > 0 {
				prev = s[k-1].end
			}
			gaps[k] = append(gaps[k], s[k].begin-prev)
			reqs[k] = append(reqs[k], s[k].end-s[k].begin)
		}
		gaps[7] = append(gaps[7], tot[r+1]-s[6].end)
	}
	if len(gaps[7]) > 0 {
		fmt.Fprintf(&sb, "%s phases (median ms over %d runs of 7 requests):", name, len(gaps[7]))
		for k := range 7 {
			fmt.Fprintf(&sb, " gap %.2f | req%d %.2f |", ms(median(gaps[k])), k, ms(median(reqs[k])))
		}
		fmt.Fprintf(&sb, " gap %.2f\n", ms(median(gaps[7])))
		g := slices.Clone(gaps[3])
		slices.Sort(g)
		fmt.Fprintf(&sb, "%s wait for the CA (sorted):", name)
		for _, d := range g {
			fmt.Fprintf(&sb, " %.1f", ms(d))
		}
		fmt.Fprintf(&sb, "\n")
	}
	printHops(&sb, name, runs, tot)
	printLeads(&sb, name, runs)
	printFetch(&sb, name, runs)
	fmt.Print(sb.String())
}

// printHops prints, over the runs after the first, the median time from
// the start (Apply) to the first decision, and the median dead time: the
// part of a run in which no reconcile and no ACME request was in progress
// (the hand-offs between visits, and the waits each asked for).
func printHops(sb *strings.Builder, name string, runs [][]tlEvent, tot []time.Duration) {
	var first, dead []time.Duration
	for r, evs := range runs {
		if r == 0 || len(evs) == 0 {
			continue
		}
		first = append(first, evs[0].begin)
		var busy, reach time.Duration
		for _, e := range evs { // sorted by begin
			if e.end <= reach || strings.HasPrefix(e.what, "HTTP-01 ") {
				continue
			}
			busy += e.end - max(e.begin, reach)
			reach = e.end
		}
		dead = append(dead, tot[r]-busy)
	}
	if len(first) > 0 {
		fmt.Fprintf(sb, "%s hops (median ms over %d runs): start→first event %.2f | dead time %.2f\n",
			name, len(first), ms(median(first)), ms(median(dead)))
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
