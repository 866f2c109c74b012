package issuer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// What a request costs the client for its Timeout over a wrapped
// RoundTripper (the ACME stack): Client.Timeout (before) beside
// timedClient's deadline. The server's side is the same in both.
func BenchmarkClientTimeout(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("{}"))
	}))
	b.Cleanup(srv.Close)
	base := srv.Client()
	base.Timeout = time.Minute
	rt := boundNonces{base.Transport}
	for _, c := range []struct {
		name string
		hc   *http.Client
	}{
		{"client-timeout", &http.Client{Transport: rt, Timeout: base.Timeout}},
		{"context-deadline", timedClient(rt, base)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.hc.Get(srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}
		})
	}
}
