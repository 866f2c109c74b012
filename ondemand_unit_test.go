package certflow

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func TestOnDemandName(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	for _, tc := range []struct {
		in, want string
	}{
		{"www.example.com", "www.example.com"},
		{"WWW.Example.COM.", "www.example.com"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"a-b.c1.test", "a-b.c1.test"},
		{long63 + "." + long63 + "." + long63 + "." + strings.Repeat("a", 61), long63 + "." + long63 + "." + long63 + "." + strings.Repeat("a", 61)},
		{"", ""},
		{"single", ""},
		{"127.0.0.1", ""},
		{"1.2.3.999", ""},
		{"::1", ""},
		{"::ffff:10.0.0.1", ""},
		{"[::1]", ""},
		{"fe80::1%eth0", ""},
		{"a_b.example.com", ""},
		{"*.example.com", ""},
		{"-a.example.com", ""},
		{"a-.example.com", ""},
		{"a..example.com", ""},
		{".example.com", ""},
		{"bücher.example", ""},
		{"a b.example", ""},
		{"a\x00.example", ""},
		{strings.Repeat("a", 64) + ".example", ""},
		{long63 + "." + long63 + "." + long63 + "." + strings.Repeat("a", 62), ""}, // 254 octets
	} {
		got, err := onDemandName(tc.in)
		if tc.want == "" {
			assert.ErrorIs(t, err, ErrOnDemandInvalidName, "%q", tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestOnDemandObjectName(t *testing.T) {
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 50)
	for _, name := range []string{"www.example.com", "a.b", long} {
		obj := onDemandObjectName(name)
		crt := &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: obj},
			Spec: certificate.Spec{SecretName: onDemandSecretName(obj), DNSNames: []string{name},
				IssuerRef: meta.IssuerRef{Name: "x"}}}
		assert.NoError(t, certificate.Validate(crt), name)
		assert.Equal(t, obj, onDemandObjectName(name), "deterministic")
	}
	assert.Equal(t, "ondemand.www.example.com", onDemandObjectName("www.example.com"))
	assert.True(t, strings.HasPrefix(onDemandObjectName(long), "ondemand-"), "a name too long for its prefix is hashed")
	assert.NotEqual(t, onDemandObjectName(long), onDemandObjectName(long+"x"))
}

func TestDenyCache_BoundedWithTTL(t *testing.T) {
	c := newDenyCache(3)
	t0 := testrig.Epoch
	no := errors.New("no")
	for _, n := range []string{"a", "b", "c", "d"} {
		c.add(n, t0.Add(time.Minute), no)
	}
	assert.Equal(t, 3, c.len())
	assert.NoError(t, c.denied("a", t0), "the oldest is forgotten first")
	assert.ErrorIs(t, c.denied("d", t0), no)
	assert.NoError(t, c.denied("d", t0.Add(time.Minute)), "expired")
	c.add("b", t0.Add(time.Hour), no) // refreshed in place
	assert.Equal(t, 3, c.len())
	assert.ErrorIs(t, c.denied("b", t0.Add(30*time.Minute)), no)
}

func TestTokenBucket(t *testing.T) {
	b := newTokenBucket(0.5, 2) // one token every 2 s
	t0 := testrig.Epoch
	assert.True(t, b.take(t0))
	assert.True(t, b.take(t0))
	assert.False(t, b.take(t0), "burst spent")
	assert.False(t, b.take(t0.Add(time.Second)), "half a token")
	assert.True(t, b.take(t0.Add(2*time.Second)))
	assert.False(t, b.take(t0.Add(2*time.Second)))
	assert.True(t, b.take(t0.Add(time.Hour)))
	assert.True(t, b.take(t0.Add(time.Hour)), "refilled to the burst, no more")
	assert.False(t, b.take(t0.Add(time.Hour)))
	assert.False(t, b.take(t0), "a clock going back earns nothing")
}

func TestOnDemandConfig_Invalid(t *testing.T) {
	tmpl := onDemandTemplate()
	for name, od := range map[string]OnDemandConfig{
		"no policy":       {Template: tmpl},
		"no issuer":       {Allow: allowSuffix(".test")},
		"bad ask URL":     {AskURL: "ftp://x", Template: tmpl},
		"negative limits": {Allow: allowSuffix(".test"), Template: tmpl, Burst: -1},
		"negative ttl":    {Allow: allowSuffix(".test"), Template: tmpl, DenyTTL: -time.Second},
	} {
		_, err := New(Config{Store: memory.New(), OnDemand: &od})
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
	}
	_, err := New(Config{Store: memory.New(), OnDemand: &OnDemandConfig{AskURL: "https://ask.example/check", Template: tmpl}})
	assert.NoError(t, err)
}

// The ask endpoint gets GET ?domain=name; a 2xx allows, anything else,
// a redirect or no answer in time denies. Both policies must allow.
func TestOnDemandPolicy_Ask(t *testing.T) {
	var asked atomic.Int32
	ask := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		switch d := r.URL.Query().Get("domain"); {
		case r.Method != http.MethodGet:
			w.WriteHeader(http.StatusMethodNotAllowed)
		case strings.HasPrefix(d, "ok."):
			w.WriteHeader(http.StatusNoContent)
		case strings.HasPrefix(d, "redirect."):
			http.Redirect(w, r, "/?domain=ok.x.test", http.StatusFound)
		case strings.HasPrefix(d, "slow."):
			<-r.Context().Done()
		default:
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("allowed! (a body is not trusted)"))
		}
	}))
	t.Cleanup(ask.Close)
	m, err := New(Config{Store: memory.New(), Clock: clock.NewFake(testrig.Epoch), OnDemand: &OnDemandConfig{
		AskURL: ask.URL + "/check?token=t", Allow: allowSuffix(".x.test"), Template: onDemandTemplate(),
		DecisionTimeout: 200 * time.Millisecond}})
	require.NoError(t, err)
	od := m.onDemand
	ctx := context.Background()
	assert.NoError(t, od.decide(ctx, "ok.x.test"))
	for _, name := range []string{"no.x.test", "redirect.x.test", "slow.x.test", "ok.y.test"} {
		assert.ErrorIs(t, od.decide(ctx, name), ErrOnDemandDenied, name)
	}
	assert.Equal(t, int32(4), asked.Load(), "ok.y.test is denied by Allow before the endpoint is asked")
}

// An on-demand name no handshake asked for within IdleTimeout loses its
// Certificate and its Secret, and is no longer served; a name served
// meanwhile stays, its last use recorded on its Certificate.
func TestOnDemand_IdleNamesExpire(t *testing.T) {
	tmpl := onDemandTemplate()
	tmpl.Spec.IssuerRef.Name = "ca"
	h := startManager(t, func(c *Config) {
		c.OnDemand = &OnDemandConfig{Allow: allowSuffix(".idle.test"), Template: tmpl, IdleTimeout: time.Hour}
	})
	h.setupCA("default", "ca")
	t0 := h.clock.Now()
	for _, name := range []string{"a.idle.test", "b.idle.test"} {
		_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: name})
		require.NoError(t, err, name)
	}
	h.clock.Advance(20 * time.Minute)
	_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "A.idle.test"}) // a hit: only touched
	require.NoError(t, err)

	h.clock.Advance(41 * time.Minute) // b idle 61 min, a 41
	bRef := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "ondemand.b.idle.test"}
	bSecret := meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "ondemand.b.idle.test-tls"}
	h.waitUntil("b's Certificate and Secret deleted", func() bool {
		return errors.Is(h.store.Get(h.ctx, bRef, &certificate.Certificate{}), store.ErrNotFound) &&
			errors.Is(h.store.Get(h.ctx, bSecret, &secret.Secret{}), store.ErrNotFound)
	})
	a := &certificate.Certificate{}
	require.NoError(t, h.store.Get(h.ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "ondemand.a.idle.test"}, a))
	// The sweep after the hit (at 20 or 61 min) dated it.
	used, err := time.Parse(time.RFC3339, a.ObjectMeta.Annotations[AnnotationOnDemandLastUsed])
	require.NoError(t, err)
	assert.False(t, used.Before(t0.Add(20*time.Minute)), "last used %s", used)

	// b is served no more once the Manager's watch removed its Secret
	// (which then wakes this subscription).
	changed, stop := h.m.changes.subscribe(bSecret)
	defer stop()
	for {
		if _, err := h.m.wiring.cache.GetCertificate(&tls.ClientHelloInfo{ServerName: "b.idle.test"}); err != nil {
			break
		}
		select {
		case <-changed:
		case <-h.ctx.Done():
			t.Fatal("b is still served")
		}
	}
}

func TestAllowNames(t *testing.T) {
	allow := AllowNames("*.Example.com", "shop.test.")
	for name, want := range map[string]bool{
		"a.example.com": true, "A.EXAMPLE.COM.": true, "example.com": false, "a.b.example.com": false,
		"shop.test": true, "x.shop.test": false, "evil.test": false, "aexample.com": false,
	} {
		err := allow(context.Background(), name)
		assert.Equal(t, want, err == nil, "%s: %v", name, err)
	}
}

// OnDemandConfig.ACME becomes the Issuer "ondemand", its zero fields
// defaulted, which the template names.
func TestOnDemandConfig_ACMEIssuer(t *testing.T) {
	st := memory.New()
	m, err := New(Config{Store: st, OnDemand: &OnDemandConfig{Allow: AllowNames("*.x.test"),
		ACME: &issuer.ACMEIssuer{Email: "ops@x.test"}}})
	require.NoError(t, err)
	od := m.onDemand
	assert.Equal(t, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: OnDemandIssuerName}, od.issuer)
	require.NoError(t, od.ensureIssuer(context.Background()))
	iss := &issuer.Issuer{}
	require.NoError(t, st.Get(context.Background(), od.issuer, iss))
	assert.Equal(t, LetsEncryptURL, iss.Spec.ACME.Server)
	assert.Equal(t, "ops@x.test", iss.Spec.ACME.Email)
	assert.Equal(t, "ondemand-acme-account", iss.Spec.ACME.PrivateKeySecretRef.Name)
	require.Len(t, iss.Spec.ACME.Solvers, 1)
	assert.NotNil(t, iss.Spec.ACME.Solvers[0].TLSALPN01)
	assert.Equal(t, OnDemandIssuerName, od.certificate("a.x.test").Spec.IssuerRef.Name)

	_, err = New(Config{Store: st, OnDemand: &OnDemandConfig{Allow: AllowNames("*.x.test"),
		ACME: &issuer.ACMEIssuer{}, Template: onDemandTemplate()}})
	assert.ErrorIs(t, err, ErrInvalidConfig, "ACME and an IssuerRef")
}

// A client sending random names under an allowed wildcard, as fast as the
// default rate limit lets it, gets fewer certificates in any week than
// Let's Encrypt's 50 per registered domain, and fewer new orders in any
// 3 hours than its 300 per account (one replica; N replicas allow N times).
func TestOnDemandConfig_DefaultRateWithinLetsEncryptLimits(t *testing.T) {
	cfg := OnDemandConfig{}.withDefaults()
	b := newTokenBucket(cfg.RateLimit, cfg.Burst)
	var taken []time.Time
	t0 := testrig.Epoch
	for now := t0; now.Before(t0.Add(4 * 7 * 24 * time.Hour)); now = now.Add(time.Minute) {
		for len(taken) < 1000 && b.take(now) { // 1000: enough to fail
			taken = append(taken, now)
		}
	}
	most := func(window time.Duration) int { // in any window: a sliding one
		n, j := 0, 0
		for i, start := range taken {
			for j < len(taken) && taken[j].Sub(start) < window {
				j++
			}
			n = max(n, j-i)
		}
		return n
	}
	week, threeHours := most(7*24*time.Hour), most(3*time.Hour)
	t.Logf("default limit: at most %d certificates a week, %d orders in 3 hours", week, threeHours)
	assert.Less(t, week, 50, "Let's Encrypt: 50 certificates per registered domain per 7 days")
	assert.Less(t, threeHours, 300, "Let's Encrypt: 300 new orders per account per 3 hours")
	assert.GreaterOrEqual(t, week, cfg.Burst, "the default still issues")
}

// The ask endpoint's own query is sent as it was given (a pre-signed URL
// stays valid), with domain= appended.
func TestOnDemandPolicy_AskKeepsQuery(t *testing.T) {
	for base, want := range map[string]string{
		"https://a.test/check":                    "https://a.test/check?domain=x.y.test",
		"https://a.test/check?":                   "https://a.test/check?domain=x.y.test",
		"https://a.test/check?sig=b%2Fc&a=1":      "https://a.test/check?sig=b%2Fc&a=1&domain=x.y.test",
		"https://a.test/check?z=1&":               "https://a.test/check?z=1&domain=x.y.test",
		"https://a.test/check?z=1&domain=ignored": "https://a.test/check?z=1&domain=ignored&domain=x.y.test",
	} {
		assert.Equal(t, want, askURL(base, "x.y.test"), base)
	}
	var rawQuery atomic.Value
	ask := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rawQuery.Store(r.URL.RawQuery)
	}))
	t.Cleanup(ask.Close)
	m, err := New(Config{Store: memory.New(), OnDemand: &OnDemandConfig{
		AskURL: ask.URL + "/check?z=2&sig=b%2Fc&a=1", Template: onDemandTemplate()}})
	require.NoError(t, err)
	require.NoError(t, m.onDemand.decide(context.Background(), "ok.x.test"))
	assert.Equal(t, "z=2&sig=b%2Fc&a=1&domain=ok.x.test", rawQuery.Load())
}

// An ask answer with a body (up to 4 KB) leaves its connection for the
// next decision: three decisions, one connection.
func TestOnDemandPolicy_AskReusesConnection(t *testing.T) {
	var conns atomic.Int32
	ask := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("allowed ", 256))) // 2 KB
	}))
	ask.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ask.Start()
	t.Cleanup(ask.Close)
	m, err := New(Config{Store: memory.New(), OnDemand: &OnDemandConfig{
		AskURL: ask.URL, Template: onDemandTemplate(), AskClient: &http.Client{Transport: &http.Transport{}}}})
	require.NoError(t, err)
	for _, name := range []string{"a.x.test", "b.x.test", "c.x.test"} {
		require.NoError(t, m.onDemand.decide(context.Background(), name))
	}
	assert.Equal(t, int32(1), conns.Load())
}
