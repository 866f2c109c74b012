package serve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
)

// tokenMap is a TokenSource for handler tests.
type tokenMap map[string][2]string

func (m tokenMap) KeyAuthorization(token string) (string, string, bool) {
	v, ok := m[token]
	return v[0], v[1], ok
}

const (
	ipToken  = "IPIPIPIPIPIPIPIPIPIPIPIPIPIPIPIP"
	ip6Token = "IP6IP6IP6IP6IP6IP6IP6IP6IP6IP6"
	keyAuth  = testToken + ".thumbprint"
)

func TestHTTPHandler(t *testing.T) {
	tokens := tokenMap{
		testToken: {keyAuth, "a.example"},
		ipToken:   {ipToken + ".t", "192.0.2.7"},
		ip6Token:  {ip6Token + ".t", "2001:db8::7"},
	}
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "fallback "+r.URL.Path)
	})
	withFallback := HTTPHandler(tokens, fallback)
	redirecting := HTTPHandler(tokens, nil)
	const path = "/.well-known/acme-challenge/" + testToken

	tests := []struct {
		name       string
		h          http.Handler
		method     string
		target     string // request-target, as on the wire
		host       string
		wantStatus int
		wantBody   string // exact body; "-" means do not check
		wantHeader map[string]string
	}{
		{"GET answers", withFallback, "GET", path, "a.example", 200, keyAuth,
			map[string]string{"Content-Type": "text/plain"}},
		{"HEAD answers without body", withFallback, "HEAD", path, "a.example", 200, "",
			map[string]string{"Content-Type": "text/plain"}},
		{"host with port", withFallback, "GET", path, "a.example:80", 200, keyAuth, nil},
		{"host upper case and trailing dot", withFallback, "GET", path, "A.Example.:8080", 200, keyAuth, nil},
		{"absolute-form target", withFallback, "GET", "http://a.example" + path, "a.example", 200, keyAuth, nil},
		{"IPv4 identifier", withFallback, "GET", "/.well-known/acme-challenge/" + ipToken, "192.0.2.7:80", 200, ipToken + ".t", nil},
		{"IPv6 identifier in brackets", withFallback, "GET", "/.well-known/acme-challenge/" + ip6Token, "[2001:DB8::7]:80", 200, ip6Token + ".t", nil},
		{"IPv6 identifier without port", withFallback, "GET", "/.well-known/acme-challenge/" + ip6Token, "[2001:db8::7]", 200, ip6Token + ".t", nil},
		{"redirecting handler still answers", redirecting, "GET", path, "a.example", 200, keyAuth, nil},

		{"POST is not allowed", withFallback, "POST", path, "a.example", 405, "-", map[string]string{"Allow": "GET, HEAD"}},
		{"PUT is not allowed", withFallback, "PUT", path, "a.example", 405, "-", map[string]string{"Allow": "GET, HEAD"}},
		{"host mismatch", withFallback, "GET", path, "b.example", 404, "-", nil},
		{"host is a suffix", withFallback, "GET", path, "xa.example", 404, "-", nil},
		{"IP host for DNS identifier", withFallback, "GET", path, "192.0.2.7", 404, "-", nil},
		{"wrong IP", withFallback, "GET", "/.well-known/acme-challenge/" + ipToken, "192.0.2.8", 404, "-", nil},
		{"no host", withFallback, "GET", path, "", 404, "-", nil},
		{"unknown token", withFallback, "GET", "/.well-known/acme-challenge/" + testToken + "x", "a.example", 404, "-", nil},
		{"dot-dot segment", withFallback, "GET", "/.well-known/acme-challenge/../x", "a.example", 400, "-", nil},
		{"encoded dot-dot", withFallback, "GET", "/.well-known/acme-challenge/%2e%2e", "a.example", 400, "-", nil},
		{"encoded dot-dot and more", withFallback, "GET", "/.well-known/acme-challenge/%2e%2e/%2e%2e/etc/passwd", "a.example", 400, "-", nil},
		{"encoded slash", withFallback, "GET", "/.well-known/acme-challenge/" + testToken + "%2Fx", "a.example", 400, "-", nil},
		{"encoded token character", withFallback, "GET", "/.well-known/acme-challenge/%65vaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", "a.example", 400, "-", nil},
		{"extra segment", withFallback, "GET", path + "/x", "a.example", 400, "-", nil},
		{"trailing slash", withFallback, "GET", path + "/", "a.example", 400, "-", nil},
		{"token with dot", withFallback, "GET", path + ".x", "a.example", 400, "-", nil},
		{"token with plus", withFallback, "GET", "/.well-known/acme-challenge/evaGxfADs6pSRb2LAv9IZf17+t3juxGJ", "a.example", 400, "-", nil},
		{"token too short", withFallback, "GET", "/.well-known/acme-challenge/abc", "a.example", 400, "-", nil},
		{"token too long", withFallback, "GET", "/.well-known/acme-challenge/" + string(make129()), "a.example", 400, "-", nil},
		{"empty token", withFallback, "GET", "/.well-known/acme-challenge/", "a.example", 400, "-", nil},
		{"encoded prefix", withFallback, "GET", "/.well-known/%61cme-challenge/" + testToken, "a.example", 400, "-", nil},

		{"other path goes to fallback", withFallback, "GET", "/index.html", "a.example", 418, "fallback /index.html", nil},
		{"POST elsewhere goes to fallback", withFallback, "POST", "/api", "a.example", 418, "fallback /api", nil},
		{"prefix without slash goes to fallback", withFallback, "GET", "/.well-known/acme-challenge", "a.example", 418, "-", nil},
		{"redirect GET", redirecting, "GET", "/a/b?q=1&r=2", "a.example", 302, "-",
			map[string]string{"Location": "https://a.example/a/b?q=1&r=2"}},
		{"redirect strips port 80", redirecting, "HEAD", "/", "a.example:80", 302, "-",
			map[string]string{"Location": "https://a.example/"}},
		{"redirect strips other ports", redirecting, "GET", "/x", "a.example:8080", 302, "-",
			map[string]string{"Location": "https://a.example/x"}},
		{"redirect keeps IPv6 brackets", redirecting, "GET", "/x", "[2001:db8::1]:80", 302, "-",
			map[string]string{"Location": "https://[2001:db8::1]/x"}},
		{"redirect keeps escaping", redirecting, "GET", "/a%20b", "a.example", 302, "-",
			map[string]string{"Location": "https://a.example/a%20b"}},
		{"redirect refuses POST", redirecting, "POST", "/form", "a.example", 405, "-",
			map[string]string{"Allow": "GET, HEAD"}},
		{"redirect without host", redirecting, "GET", "/", "", 400, "-", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, nil)
			req.Host = tt.host
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			res := rec.Result()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)

			assert.Equal(t, tt.wantStatus, res.StatusCode)
			if tt.wantBody != "-" {
				assert.Equal(t, tt.wantBody, string(body))
			}
			if tt.wantStatus != 200 {
				assert.NotContains(t, string(body), "thumbprint", "no key authorization leaks")
			}
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, res.Header.Get(k), k)
			}
		})
	}
}

func make129() []byte {
	b := make([]byte, maxTokenLen+1)
	for i := range b {
		b[i] = 'a'
	}
	return b
}

// TestHTTPHandlerServesCacheChallenges runs the handler over a real loopback
// server fed by a Cache, as a replica sharing the Store would.
func TestHTTPHandlerServesCacheChallenges(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := NewCache(Options{})
	srv := httptest.NewServer(HTTPHandler(c, http.NotFoundHandler()))
	t.Cleanup(srv.Close)
	get := func(host string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/.well-known/acme-challenge/"+testToken, nil)
		require.NoError(t, err)
		req.Host = host
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(body)
	}

	status, _ := get("a.example")
	assert.Equal(t, 404, status, "before the challenge is put")

	ch := newChallenge("ch", solver.HTTP01, "a.example", keyAuth)
	require.NoError(t, c.PutChallenge(ch))
	status, body := get("a.example")
	assert.Equal(t, 200, status)
	assert.Equal(t, keyAuth, body)

	c.DeleteChallenge(challengeRef("ch"))
	status, _ = get("a.example")
	assert.Equal(t, 404, status, "after the challenge is deleted")
}
