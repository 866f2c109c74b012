package metrics

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
)

// hostileCA speaks enough RFC 8555 for x/crypto/acme to keep asking. Under
// /ok/ it behaves; under /hostile/ every URL it hands out (directory,
// Location, links) names a new host, now and then with a scheme no client
// speaks, and its answers carry any status from 200 to 999.
type hostileCA struct {
	srv *httptest.Server
	mu  sync.Mutex
	rnd *mrand.Rand
}

func newHostileCA(t *testing.T) *hostileCA {
	ca := &hostileCA{rnd: mrand.New(mrand.NewPCG(1, 2))}
	ca.srv = httptest.NewServer(http.HandlerFunc(ca.serve))
	t.Cleanup(ca.srv.Close)
	return ca
}

func (ca *hostileCA) intN(n int) int {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.rnd.IntN(n)
}

// base is where the URLs of an answer to r point.
func (ca *hostileCA) base(r *http.Request) string {
	if !strings.HasPrefix(r.URL.Path, "/hostile/") {
		return ca.srv.URL + "/ok"
	}
	scheme := "http"
	if ca.intN(10) == 0 {
		scheme = "gopher"
	}
	return fmt.Sprintf("%s://h%d.hostile.test/hostile", scheme, ca.intN(1<<30))
}

// status is the status of an answer that should have been want.
func (ca *hostileCA) status(r *http.Request, want int) int {
	if !strings.HasPrefix(r.URL.Path, "/hostile/") || ca.intN(4) == 0 {
		return want
	}
	return 200 + ca.intN(800)
}

func (ca *hostileCA) serve(w http.ResponseWriter, r *http.Request) {
	base := ca.base(r)
	w.Header().Set("Replay-Nonce", fmt.Sprintf("n%d", ca.intN(1<<30)))
	w.Header().Set("Content-Type", "application/json")
	var body any
	want := http.StatusOK
	switch path := r.URL.Path[strings.Index(r.URL.Path[1:], "/")+1:]; {
	case path == "/dir":
		body = map[string]string{"newNonce": base + "/nonce", "newAccount": base + "/acct", "newOrder": base + "/new-order"}
	case path == "/nonce":
	case path == "/new-order":
		want = http.StatusCreated
		w.Header().Set("Location", base+"/order/1")
		body = map[string]any{"status": "pending", "authorizations": []string{base + "/authz/1"}, "finalize": base + "/finalize/1"}
	default:
		body = map[string]any{"status": "pending", "authorizations": []string{base + "/authz/1"}, "finalize": base + "/finalize/1"}
	}
	code := ca.status(r, want)
	if code != want {
		body = map[string]string{"type": "urn:ietf:params:acme:error:serverInternal", "detail": "hostile"}
		w.Header().Set("Content-Type", "application/problem+json")
	}
	w.WriteHeader(code)
	if body != nil && r.Method != http.MethodHead {
		_ = json.NewEncoder(w).Encode(body)
	}
}

// client is an ACME client of the directory at path, its transport
// counted by m, every host dialled to the CA.
func (ca *hostileCA) client(t *testing.T, m *Metrics, key *ecdsa.PrivateKey, path string) *acme.Client {
	addr := ca.srv.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	dir := ca.srv.URL + path
	return &acme.Client{Key: key, KID: acme.KeyID(ca.srv.URL + "/ok/acct/1"), DirectoryURL: dir,
		HTTPClient:   &http.Client{Transport: m.ACMETransport(tr, dir)},
		RetryBackoff: func(int, *http.Request, *http.Response) time.Duration { return 0 }}
}

// A CA that sends the client to a new host with every URL and answers any
// 3-digit status adds no series past a small fixed set; the series of a
// well-behaved CA stay as cert-manager names them, and unchanged.
func TestACMETransport_HostileCAAddsBoundedSeries(t *testing.T) {
	r := newRig(t)
	ca := newHostileCA(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	getOrder := acmeproto.WithAction(r.ctx, acmeproto.ActionGetOrder)
	authorize := acmeproto.WithAction(r.ctx, acmeproto.ActionAuthorizeOrder)

	good := ca.client(t, r.m, key, "/ok/dir")
	const goodOrders = 5
	for range goodOrders {
		_, err := good.GetOrder(getOrder, ca.srv.URL+"/ok/order/1")
		require.NoError(t, err)
	}
	home := mustHost(t, ca.srv.URL)
	normal := gather(t, r.m)["certmanager_http_acme_client_request_count"].samples
	assert.Equal(t, float64(goodOrders),
		normal[`{action="get_order",host="`+home+`",method="POST",scheme="http",status="200"}`], "cert-manager's labels: %v", normal)

	const orders = 2000
	var hostile *acme.Client
	for i := range orders {
		if i%100 == 0 { // a new client reads a directory of new hosts
			hostile = ca.client(t, r.m, key, "/hostile/dir")
		}
		if o, err := hostile.AuthorizeOrder(authorize, acme.DomainIDs("x.example.test")); err == nil {
			_, _ = hostile.GetOrder(getOrder, o.URI)
		}
	}

	got := gather(t, r.m)
	count := got["certmanager_http_acme_client_request_count"].samples
	var total float64
	hosts, statuses := map[string]bool{}, map[string]bool{}
	for k, n := range count {
		total += n
		hosts[labelOf(k, "host")], statuses[labelOf(k, "status")] = true, true
	}
	require.GreaterOrEqual(t, total, float64(orders), "thousands of requests reached the CA")
	assert.Equal(t, map[string]bool{home: true, "other": true}, hosts, "only the configured host is named")
	for s := range statuses {
		assert.Regexp(t, `^([2-5]\d\d|[2-5]xx|other|999)$`, s)
	}
	// 24 known codes, 4 classes, other and 999; two actions, three
	// methods, three schemes, two hosts: far fewer in practice.
	assert.Less(t, len(count), 150, "series: %d", len(count))
	t.Logf("%d requests, %d series", int(total), len(count))
	assert.Len(t, got["certmanager_http_acme_client_request_duration_seconds"].samples, len(count))
	assert.Zero(t, got["certflow_acme_client_request_series_overflow_total"].samples["{}"], "the labels bound it, not the cap")
	for k, n := range normal {
		assert.Equal(t, n, count[k], "normal series %s unchanged", k)
	}
}

// labelOf returns the value of label name in a sample key of gather.
func labelOf(key, name string) string {
	_, v, ok := strings.Cut(key, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, `"`)
	return v
}
