package measure

import (
	"context"
	"crypto/tls"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// readiness follows the Store (unwrapped: its reads are not the Manager's)
// and, the moment it sees a Certificate Ready, asks the Manager to serve
// its name, as a TLS client would right after WaitReady returned.
type readiness struct {
	raw store.Store
	m   *certflow.Manager

	mu sync.Mutex
	// ready has bit i set once the i-th Certificate (CertName(i)) was seen
	// Ready: a bit, not an entry holding the decoded object's strings, so
	// the tracker does not grow with the burst it measures (its state
	// counts in the peak live heap, and so in the spans that stay).
	ready     []uint64
	nReady    int
	missed    map[int]time.Time // index → when its Certificate was seen Ready unserved
	lastReady time.Time
	want      int
	all       chan struct{} // closed once want Certificates are Ready
	watchErrs int           // watches that ended early (the tracker listed again)
	// serves tells whether the Manager serves a name now.
	serves func(name string) bool
}

func newReadiness(raw store.Store, m *certflow.Manager, want int) *readiness {
	return &readiness{raw: raw, m: m, ready: make([]uint64, (want+63)/64), missed: map[int]time.Time{},
		want: want, all: make(chan struct{}), serves: func(name string) bool { return serves(m, name) }}
}

// run follows the Store from rev until ctx ends.
func (r *readiness) run(ctx context.Context, rev uint64) {
	for ctx.Err() == nil {
		ch, err := r.raw.Watch(ctx, rev)
		if err == nil {
			for ev := range ch {
				if ev.Err != nil {
					err = ev.Err
					break
				}
				rev = ev.Revision
				if ev.Ref.Kind == meta.KindCertificate && ev.Type != store.Deleted {
					r.look(ctx, ev.Ref)
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		// The watch was cut: look at every Certificate, go on from there.
		r.mu.Lock()
		r.watchErrs++
		r.mu.Unlock()
		next, err := r.lookAll(ctx)
		if err != nil {
			if !sleep(ctx, 100*time.Millisecond) {
				return
			}
			continue
		}
		rev = next
	}
}

// lookAll looks at every Certificate and returns the list's revision.
func (r *readiness) lookAll(ctx context.Context) (uint64, error) {
	res, err := r.raw.List(ctx, store.ListOptions{Kind: meta.KindCertificate})
	if res.Revision == 0 && err != nil {
		return 0, err
	}
	for _, raw := range res.Items {
		c := &certificate.Certificate{}
		if raw.Decode(c) == nil {
			r.seen(c)
		}
	}
	return res.Revision, nil
}

func (r *readiness) look(ctx context.Context, ref meta.Ref) {
	c := &certificate.Certificate{}
	if err := r.raw.Get(ctx, ref, c); err != nil {
		return
	}
	r.seen(c)
}

func (r *readiness) seen(c *certificate.Certificate) {
	if !isReady(c) || len(c.Spec.DNSNames) == 0 || c.ObjectMeta.Namespace != Namespace {
		return
	}
	i, ok := certIndex(c.ObjectMeta.Name)
	if !ok || i >= r.want {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	word, bit := i/64, uint64(1)<<(i%64)
	if r.ready[word]&bit != 0 {
		return
	}
	now := time.Now()
	r.ready[word] |= bit
	r.nReady++
	r.lastReady = now
	if !r.serves(c.Spec.DNSNames[0]) {
		r.missed[i] = now
	}
	if r.nReady == r.want {
		close(r.all)
	}
}

// certIndex returns i for CertName(i).
func certIndex(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "c")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(digits)
	if err != nil || i < 0 || CertName(i) != name {
		return 0, false
	}
	return i, true
}

// isReady holds for a Certificate issued and Ready for its spec.
func isReady(c *certificate.Certificate) bool {
	ready := c.Status.Conditions.Get(meta.ConditionReady)
	return ready != nil && ready.Status == meta.ConditionTrue &&
		ready.ObservedGeneration == c.ObjectMeta.Generation && c.Status.Revision != nil
}

// count returns how many Certificates are Ready and how many of those were
// not served when seen Ready.
func (r *readiness) count() (ready, missed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nReady, len(r.missed)
}

// serves tells whether m answers a handshake for name with a certificate.
// It does not parse the certificate to check it names name (served
// certificates carry no parsed Leaf, and a restart's measure asks this of
// every name, where parsing 100k leaves would add a second): the serving
// index only answers a name with a certificate whose leaf claims it, which
// serve's own tests check.
func serves(m *certflow.Manager, name string) bool {
	c, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: name})
	return err == nil && c != nil && len(c.Certificate) > 0
}

// awaitMissed waits until every name missed when Ready is served and
// returns the longest wait since its Ready (an upper bound, polled), or
// how many are still unserved at the deadline.
func (r *readiness) awaitMissed(ctx context.Context, within time.Duration) (lag time.Duration, unserved int) {
	r.mu.Lock()
	missed := make(map[string]time.Time, len(r.missed))
	for i, at := range r.missed {
		missed[DNSName(i)] = at
	}
	r.mu.Unlock()
	deadline := time.Now().Add(within)
	for len(missed) > 0 && time.Now().Before(deadline) {
		for n, at := range missed {
			if r.serves(n) {
				lag = max(lag, time.Since(at))
				delete(missed, n)
			}
		}
		if !sleep(ctx, time.Millisecond) {
			break
		}
	}
	return lag, len(missed)
}

// sleep waits d, or returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

var errNotAllReady = errors.New("measure: not every Certificate turned Ready in time")
