package serve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/certflow/certflow/solver"
)

// FuzzGetCertificate feeds arbitrary server names: lookups never panic, and a
// certificate is returned only for a name its leaf covers.
func FuzzGetCertificate(f *testing.F) {
	ca := newTestCA(f)
	c := NewCache(Options{})
	if err := c.PutSecret(ca.secretFor(f, "ns", "web", leaf{dns: []string{"a.example", "*.w.example"}})); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"a.example", "A.EXAMPLE.", "x.w.example", ".w.example", "w.example", "", ".", "..", "a..example", strings.Repeat("A", 300), "x.W.Example.", "\xff.w.example"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, name string, alpn bool) {
		h := hello(name)
		if alpn {
			h.SupportedProtos = []string{acmeTLS1}
		}
		cert, err := c.GetCertificate(h)
		if err != nil {
			if cert != nil {
				t.Fatalf("%q: certificate and error", name)
			}
			return
		}
		if alpn {
			t.Fatalf("%q: acme-tls/1 hello answered without a challenge", name)
		}
		if !covers(leafOf(t, cert).DNSNames, name) {
			t.Fatalf("%q: served a certificate for %v", name, leafOf(t, cert).DNSNames)
		}
	})
}

// covers is the matching rule, written plainly: ASCII case-insensitive, one
// trailing dot ignored, a wildcard replaces exactly one non-empty first label
// (its bytes are not checked: a client sending a malformed label will refuse
// the certificate itself).
func covers(sans []string, name string) bool {
	b := []byte(strings.TrimSuffix(name, "."))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	name = string(b)
	for _, san := range sans {
		if san == name {
			return true
		}
		if parent, ok := strings.CutPrefix(san, "*."); ok {
			if i := strings.IndexByte(name, '.'); i > 0 && name[i+1:] == parent {
				return true
			}
		}
	}
	return false
}

// FuzzHTTPHandler feeds arbitrary paths and hosts: the key authorization is
// only ever served for the exact token path and the challenge's host.
func FuzzHTTPHandler(f *testing.F) {
	c := NewCache(Options{})
	if err := c.PutChallenge(newChallenge("ch", solver.HTTP01, "a.example", keyAuth)); err != nil {
		f.Fatal(err)
	}
	h := HTTPHandler(c, http.NotFoundHandler())
	for _, s := range []string{testToken, "../" + testToken, "%2e%2e/" + testToken, testToken + "/", testToken + "%2F", "x"} {
		f.Add(s, "a.example")
		f.Add(s, "A.example.:80")
		f.Add(s, "b.example")
	}
	f.Fuzz(func(t *testing.T, rest, host string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = challengePrefix + rest
		req.URL.RawPath = ""
		if strings.ContainsAny(rest, "%") {
			req.URL.RawPath = challengePrefix + rest
		}
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			if strings.Contains(rec.Body.String(), keyAuth) {
				t.Fatalf("key authorization leaked with status %d", rec.Code)
			}
			return
		}
		if rest != testToken || !hostMatches(host, "a.example") {
			t.Fatalf("answered path %q host %q", rest, host)
		}
	})
}
