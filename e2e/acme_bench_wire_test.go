package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync/atomic"
)

// wireCount is what requests of one kind (requestKey) put on the wire
// besides their number: their bodies' bytes each way. Pebble's work per
// request grows with them (a JWS to parse and verify, JSON to write), so
// two clients sending the same requests per certificate can still differ
// here.
type wireCount struct {
	requests       int
	sent, received int64
}

// traceConns makes req count, into conns, the connection it gets if the
// transport opened it for it (each one a TLS handshake Pebble pays for).
func traceConns(req *http.Request, conns *atomic.Int64) *http.Request {
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if !info.Reused {
			conns.Add(1)
		}
	}}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
}

// countedBody adds what is read of an answer's body to received.
type countedBody struct {
	io.ReadCloser
	received *atomic.Int64
}

func (b countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.received.Add(int64(n))
	return n, err
}

// perCertWire renders the connections opened and, by kind, the mean body
// bytes sent and received of n certificates' requests.
func perCertWire(conns int64, byKey map[string]wireCount, n int) string {
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		w := byKey[k]
		parts = append(parts, fmt.Sprintf("%s %d/%d", k, w.sent/int64(w.requests), w.received/int64(w.requests)))
	}
	return fmt.Sprintf("connections opened per certificate %.3f; body bytes sent/received per request: %s",
		float64(conns)/float64(n), strings.Join(parts, ", "))
}
