package replicatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certflow/certflow/acmetest"
)

// stepPresent is the challenge reconciler's Effect name for Present.
const stepPresent = "present"

// Validation is one validation request of the CA as the Front routed it.
type Validation struct {
	// Type is "HTTP-01" or "TLS-ALPN-01".
	Type string
	// Key is the token (HTTP-01) or the name (TLS-ALPN-01) validated.
	Key string
	// Presenter is the replica that presented the challenge; -1 if none
	// was known.
	Presenter int
	// ServedBy is the replica the request went to; -1 if none was alive.
	ServedBy int
	// OK: the replica answered (HTTP 200 / an acme-tls/1 handshake).
	OK bool
}

// Front stands between the CA and the replicas, as a load balancer does:
// it is where the CA validates HTTP-01 and TLS-ALPN-01 (pass HTTPPort and
// TLSPort to acmetest.WithHTTP01Port and WithTLSALPN01Port), and it sends
// each validation to a replica other than the one that presented the
// challenge, so a passing validation proves that replicas answer for each
// other. It also serves the DNS provider API at DNSURL, which presents
// DNS-01 records in the CA's DNS (SetCA) and records every call.
type Front struct {
	HTTPPort, TLSPort int
	DNSURL            string

	httpSrv, dnsSrv *http.Server
	tlsL            net.Listener
	wg              sync.WaitGroup
	closing         chan struct{}

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every change below
	ca          *acmetest.Server
	backends    map[int]backend
	drained     map[int]bool   // replicas taken out of rotation
	inflight    map[int]int    // replica → validations routed to it and not yet over
	presenters  map[string]int // presenterKey → replica
	validations []Validation
	dnsCalls    []DNSCall

	// presenterWait is presenterWaitDefault; tests shorten it.
	presenterWait time.Duration
}

type backend struct{ httpPort, tlsPort int }

// presenterWaitDefault bounds how long a validation waits to learn who
// presented its challenge: the report is written before the challenge is
// accepted, so it is normally there already — unless the presenter died
// between storing the challenge as presented and reporting it, and another
// replica accepted it.
const presenterWaitDefault = 5 * time.Second

// answerWait bounds how long a validation retries a replica that does not
// answer yet: another replica learns of a challenge through its watch. It
// counts from when the validation was first routed, not from its arrival:
// the wait for the presenter must not use it up.
const answerWait = 3 * time.Second

// NewFront listens on three loopback ports. Close it when done.
func NewFront() (*Front, error) {
	f := &Front{
		closing:    make(chan struct{}),
		changed:    make(chan struct{}),
		backends:   map[int]backend{},
		drained:    map[int]bool{},
		inflight:   map[int]int{},
		presenters: map[string]int{},

		presenterWait: presenterWaitDefault,
	}
	httpL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	dnsL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = httpL.Close()
		return nil, err
	}
	f.tlsL, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = httpL.Close()
		_ = dnsL.Close()
		return nil, err
	}
	f.HTTPPort = httpL.Addr().(*net.TCPAddr).Port
	f.TLSPort = f.tlsL.Addr().(*net.TCPAddr).Port
	f.DNSURL = "http://" + dnsL.Addr().String() + "/dns"
	f.httpSrv = &http.Server{Handler: http.HandlerFunc(f.serveHTTP01), ReadHeaderTimeout: 5 * time.Second}
	f.dnsSrv = &http.Server{Handler: http.HandlerFunc(f.serveDNS), ReadHeaderTimeout: 5 * time.Second}
	f.wg.Add(3)
	go func() { defer f.wg.Done(); _ = f.httpSrv.Serve(httpL) }()
	go func() { defer f.wg.Done(); _ = f.dnsSrv.Serve(dnsL) }()
	go func() { defer f.wg.Done(); f.acceptTLS() }()
	return f, nil
}

// SetCA makes the DNS provider API write to srv's DNS.
func (f *Front) SetCA(srv *acmetest.Server) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ca = srv
}

// Close stops serving and waits for every connection it handled.
func (f *Front) Close() {
	close(f.closing)
	_ = f.httpSrv.Close()
	_ = f.dnsSrv.Close()
	_ = f.tlsL.Close()
	f.wg.Wait()
}

// Validations returns every validation routed so far.
func (f *Front) Validations() []Validation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.validations)
}

// DNSCalls returns every call to the DNS provider API so far.
func (f *Front) DNSCalls() []DNSCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.dnsCalls)
}

// replicaUp and replicaDown tell the Front where replica i answers.
func (f *Front) replicaUp(i, httpPort, tlsPort int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.backends[i] = backend{httpPort: httpPort, tlsPort: tlsPort}
	f.changedLocked()
}

func (f *Front) replicaDown(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.backends, i)
	f.changedLocked()
}

// Drain takes replica i out of rotation, as a load balancer's health check
// does with a replica cut off from its Store (it cannot learn of new
// challenges); Restore puts it back.
func (f *Front) Drain(i int) { f.setDrained(i, true) }

// AwaitIdle blocks until no validation is in flight to replica i (routed
// to it and not over yet), or returns ctx's error. After Drain, none is
// routed to it any more: a replica about to be killed is drained and then
// awaited idle, so that its death cuts off no validation of the CA (which
// would fail its authorization: no other replica can take it over).
func (f *Front) AwaitIdle(ctx context.Context, i int) error {
	return f.Await(ctx, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.inflight[i] == 0
	})
}

// Restore puts a drained replica back in rotation.
func (f *Front) Restore(i int) { f.setDrained(i, false) }

func (f *Front) setDrained(i int, drained bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drained[i] = drained
	f.changedLocked()
}

// observe learns who presented each challenge.
func (f *Front) observe(ev Event) {
	r := ev.Report
	if r.Type != ReportEffect || r.Step != stepPresent || r.Phase != PhaseDone || !r.Ran || r.Err != "" || r.Challenge == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.presenters[presenterKey(r.Challenge.Type, r.Challenge.DNSName, r.Challenge.Token)] = ev.Replica
	f.changedLocked()
}

func presenterKey(typ, dnsName, token string) string {
	if typ == "TLS-ALPN-01" {
		return typ + " " + strings.ToLower(strings.TrimSuffix(dnsName, "."))
	}
	return typ + " " + token
}

func (f *Front) changedLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// route waits (at most wait) until the presenter of key is known and
// returns it with the replica the validation goes to: the next live one in
// rotation after the presenter. presenter is -1 if unknown, to -1 if no
// replica is up. The validation is in flight to replica to until release
// is called.
func (f *Front) route(ctx context.Context, key string, wait time.Duration) (presenter, to int, b backend, release func()) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		p, known := f.presenters[key]
		if known || len(f.backends) == 0 || wait <= 0 {
			if !known {
				p = -1
			}
			return f.pickInFlightLocked(p)
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			wait = 0
		case <-ctx.Done():
			wait = 0
		}
		f.mu.Lock()
	}
}

// pickInFlightLocked is pickLocked, counting the validation in flight to
// the replica picked until release is called.
func (f *Front) pickInFlightLocked(presenter int) (int, int, backend, func()) {
	p, to, b := f.pickLocked(presenter)
	if to < 0 {
		return p, to, b, func() {}
	}
	f.inflight[to]++
	var once sync.Once
	return p, to, b, func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.inflight[to]--
			f.changedLocked()
		})
	}
}

func (f *Front) pickLocked(presenter int) (int, int, backend) {
	ids := make([]int, 0, len(f.backends))
	for i := range f.backends {
		if !f.drained[i] {
			ids = append(ids, i)
		}
	}
	if len(ids) == 0 {
		return presenter, -1, backend{}
	}
	slices.Sort(ids)
	to := ids[0]
	for _, i := range ids {
		if i > presenter {
			to = i
			break
		}
	}
	if to == presenter && len(ids) > 1 {
		to = ids[1]
	}
	return presenter, to, f.backends[to]
}

func (f *Front) record(v Validation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.validations = append(f.validations, v)
	f.changedLocked()
}

// Await blocks until cond holds, re-checking it after every validation,
// DNS call and replica change the Front sees, or returns ctx's error.
// cond may call the Front's getters.
func (f *Front) Await(ctx context.Context, cond func() bool) error {
	for {
		f.mu.Lock()
		changed := f.changed
		f.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// serveHTTP01 answers the CA's HTTP-01 request from a replica that did not
// present the challenge, retrying briefly while it has not seen the
// challenge yet, and going to another one if it goes away meanwhile (as a
// load balancer fails over).
func (f *Front) serveHTTP01(w http.ResponseWriter, r *http.Request) {
	const prefix = "/.well-known/acme-challenge/"
	token, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	v := Validation{Type: "HTTP-01", Key: token}
	defer func() { f.record(v) }()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	wait := f.presenterWait // only before the first routing
	var deadline time.Time
	for {
		var b backend
		var release func()
		v.Presenter, v.ServedBy, b, release = f.route(r.Context(), presenterKey("HTTP-01", "", token), wait)
		if deadline.IsZero() {
			// Wall time: the CA validating through the Front runs on it.
			deadline, wait = time.Now().Add(answerWait), 0
		}
		status, body, err := http.StatusBadGateway, []byte("no replica is up"), errNoReplica
		if v.ServedBy >= 0 {
			status, body, err = get(r.Context(), client, "http://127.0.0.1:"+strconv.Itoa(b.httpPort)+r.URL.Path, r.Host)
		}
		release()
		if err == nil && status == http.StatusOK {
			v.OK = true
			_, _ = w.Write(body)
			return
		}
		if time.Now().After(deadline) || r.Context().Err() != nil {
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
			} else {
				w.WriteHeader(status)
			}
			return
		}
		select {
		case <-r.Context().Done():
		case <-f.closing:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// errNoReplica is why a validation found no replica to go to.
var errNoReplica = errors.New("replicatest: no replica is up")

func get(ctx context.Context, client *http.Client, url, host string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Host = host
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, body, err
}

// serveDNS is the DNS provider API: it presents and removes TXT values in
// the CA's DNS and records each call once it is done.
func (f *Front) serveDNS(w http.ResponseWriter, r *http.Request) {
	var c DNSCall
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&c); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	ca := f.ca
	f.mu.Unlock()
	if ca == nil {
		http.Error(w, "no CA", http.StatusServiceUnavailable)
		return
	}
	switch c.Op {
	case DNSPresent:
		ca.AddTXT(c.Name, c.Value)
	case DNSCleanUp:
		ca.RemoveTXT(c.Name, c.Value)
	default:
		http.Error(w, fmt.Sprintf("unknown op %q", c.Op), http.StatusBadRequest)
		return
	}
	c.At = time.Now()
	f.mu.Lock()
	f.dnsCalls = append(f.dnsCalls, c)
	f.changedLocked()
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
