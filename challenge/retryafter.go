package challenge

import (
	"hash/maphash"
	"net/http"
	"sync"
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
)

// RetryAfterRecorder is an http.RoundTripper that remembers the Retry-After
// header of the latest response for each URL. x/crypto/acme drops the
// headers of successful polls (GetOrder, GetAuthorization), so the Manager
// puts a recorder under the ACME clients' HTTP transport and hands its
// RetryAfter method to the reconcilers, which then poll at the CA's pace.
// The zero value uses http.DefaultTransport and is ready to use; it must not
// be copied after first use.
type RetryAfterRecorder struct {
	// Base sends the requests. If nil, http.DefaultTransport is used.
	Base http.RoundTripper

	mu sync.Mutex
	// hint is keyed by a hash of the URL, not the URL: the CA chooses the
	// URLs, and a few thousand long ones kept as keys would be its to
	// grow. A collision only paces one poll by another URL's hint.
	hint map[uint64]hint
	// held counts the hints of each CA (WrapCA), so that one filling its
	// budget evicts only its own.
	held map[string]int
	seed maphash.Seed
}

// hint is the wait a CA asked for in its latest answer for a URL.
type hint struct {
	d  time.Duration
	ca string
}

// maxHints bounds the hints kept at once for each CA: the operator
// configures the CAs, so all of them together are bounded too.
const maxHints = 4096

// key returns the key of url in hint; r.mu must be held.
func (r *RetryAfterRecorder) key(url string) uint64 {
	if r.hint == nil {
		r.seed = maphash.MakeSeed()
		r.hint = map[uint64]hint{}
		r.held = map[string]int{}
	}
	return maphash.String(r.seed, url)
}

// RoundTrip sends req through Base and records the answer's Retry-After.
func (r *RetryAfterRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	base := r.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return r.roundTrip(base, "", req)
}

// Wrap returns a transport that sends through base and records into r, so
// clients with their own transports (a caBundle clone) share one recorder.
// Its hints share one budget with RoundTrip's; WrapCA gives a CA its own.
func (r *RetryAfterRecorder) Wrap(base http.RoundTripper) http.RoundTripper {
	return r.WrapCA(base, "")
}

// WrapCA is Wrap for the clients of the CA at directory ca: its hints
// have a budget of their own (maxHints), so a CA answering with
// Retry-After on thousands of URLs evicts its own hints, never those of
// another CA, which would then be polled faster than it asked (RFC 8555
// §6.6 and §7.5.1: a client honours the Retry-After its CA sends).
func (r *RetryAfterRecorder) WrapCA(base http.RoundTripper, ca string) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) { return r.roundTrip(base, ca, req) })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func (r *RetryAfterRecorder) roundTrip(base http.RoundTripper, ca string, req *http.Request) (*http.Response, error) {
	res, err := base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	// An HTTP-date Retry-After is read against the wall clock, the clock
	// the CA's Date header and the network live in; the wait it yields is a
	// duration, applied by the reconcilers to the injected Clock.
	d, ok := acmeproto.ParseRetryAfter(res.Header.Get("Retry-After"), time.Now())
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok && len(r.hint) == 0 {
		// No hint to drop: the URL is not even spelled (an allocation on
		// each of the ~7 ACME requests of an issuance, most without one).
		return res, nil
	}
	key := r.key(req.URL.String())
	r.drop(key)
	if !ok {
		return res, nil
	}
	if r.held[ca] >= maxHints {
		// Hints nobody read (a URL never polled again) must not pile up;
		// losing some only means polling this CA at the default pace.
		// Scanning every hint is paid once per maxHints of the CA's.
		for k, h := range r.hint {
			if h.ca == ca {
				delete(r.hint, k)
			}
		}
		delete(r.held, ca)
	}
	r.hint[key] = hint{d: d, ca: ca}
	r.held[ca]++
	return res, nil
}

// drop forgets the hint at key and returns it; r.mu must be held.
func (r *RetryAfterRecorder) drop(key uint64) (hint, bool) {
	h, ok := r.hint[key]
	if !ok {
		return h, false
	}
	delete(r.hint, key)
	if r.held[h.ca]--; r.held[h.ca] <= 0 {
		delete(r.held, h.ca)
	}
	return h, true
}

// RetryAfter returns, once, how long the CA asked to wait in its latest
// answer for url.
func (r *RetryAfterRecorder) RetryAfter(url string) (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.drop(r.key(url))
	return h.d, ok
}

// Pace returns how long to wait before polling url again: the CA's
// Retry-After if hint (may be nil) has one, else def.
func Pace(hint func(url string) (time.Duration, bool), url string, def time.Duration) time.Duration {
	if hint == nil {
		return def
	}
	if d, ok := hint(url); ok && d > 0 {
		return d
	}
	return def
}
