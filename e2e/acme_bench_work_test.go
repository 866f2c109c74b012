package e2e

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// workCounter counts what a Manager does per certificate besides talking
// to the CA: its Store calls by operation and kind, and its reconciles by
// controller. It is where CPU per certificate goes, so a benchmark reports
// it beside the rate.
type workCounter struct {
	store *storecount.Store
	// known counts the calls of the kinds in countedKinds by operation and
	// kind, each in a counter of its own: a lock and a map keyed by a
	// string, taken at each of the ~100 calls a certificate, were charged
	// to the Manager the benchmark measures (and contended by its
	// workers). Named ("get Order") only by take.
	known []atomic.Int64
	mu    sync.Mutex
	// ops counts the calls of any other kind.
	ops map[opKind]int
}

type opKind struct {
	op   storecount.Op
	kind meta.Kind
}

// countedKinds are the kinds of the issuance path; "" is the calls that
// name no object (List, Watch, the lock calls).
var countedKinds = []meta.Kind{"", meta.KindCertificate, meta.KindCertificateRequest, meta.KindOrder, meta.KindChallenge,
	meta.KindSecret, meta.KindIssuer, meta.KindClusterIssuer, meta.KindEvent}

func countedKind(k meta.Kind) int {
	for i, c := range countedKinds {
		if c == k {
			return i
		}
	}
	return -1
}

// newWorkCounter wraps st counting each call.
func newWorkCounter(st store.Store) *workCounter {
	w := &workCounter{ops: map[opKind]int{}, known: make([]atomic.Int64, len(storecount.Ops())*len(countedKinds))}
	w.store = storecount.New(st, storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if k := countedKind(ref.Kind); k >= 0 {
			w.known[int(op)*len(countedKinds)+k].Add(1)
			return
		}
		w.mu.Lock()
		w.ops[opKind{op, ref.Kind}]++
		w.mu.Unlock()
	}))
	return w
}

// take returns the Store calls counted since the last take, by operation
// and kind ("get Order").
func (w *workCounter) take() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	ops := map[string]int{}
	add := func(k opKind, n int) {
		key := k.op.String()
		if k.kind != "" {
			key += " " + string(k.kind)
		}
		ops[key] += n
	}
	for k, n := range w.ops {
		add(k, n)
	}
	clear(w.ops)
	for _, op := range storecount.Ops() {
		for i, kind := range countedKinds {
			if n := w.known[int(op)*len(countedKinds)+i].Swap(0); n > 0 {
				add(opKind{op, kind}, int(n))
			}
		}
	}
	return ops
}

// reconciles returns m's reconciles so far by controller (cert-manager's
// sync call counter, which the Manager exports).
func reconciles(tb testing.TB, m *certflow.Manager) map[string]float64 {
	reg := prometheus.NewRegistry()
	if err := reg.Register(m.Metrics()); err != nil {
		tb.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "certmanager_controller_sync_call_count" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "controller" {
					out[l.GetValue()] = mt.GetCounter().GetValue() + mt.GetUntyped().GetValue()
				}
			}
		}
	}
	return out
}

// reportWork records Store calls and reconciles per certificate of n
// certificates: the totals as metrics, the breakdown in the log. before is
// the reconcile count when the round started.
func reportWork(b *testing.B, n int, ops map[string]int, before, after map[string]float64) {
	total := 0
	for _, c := range ops {
		total += c
	}
	b.ReportMetric(float64(total)/float64(n), "store-ops/cert")
	perKind := map[string]int{}
	all := 0.0
	for k, v := range after {
		d := v - before[k]
		perKind[k] = int(d)
		all += d
	}
	b.ReportMetric(all/float64(n), "reconciles/cert")
	b.Logf("reconciles per certificate: %s", perCert(perKind, n))
	b.Logf("store calls per certificate: %s", perCert(ops, n))
}
