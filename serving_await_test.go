package certflow

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/certflow/certflow/meta"
)

// awaitServed blocks until m serves name, or fails tb when ctx is done. A
// Secret reaches the serving cache through the Manager's watch, which then
// wakes a subscription to it: subscribed before the first look, no change
// between the two is missed.
func awaitServed(tb testing.TB, ctx context.Context, m *Manager, secret meta.Ref, name string) {
	tb.Helper()
	changed, stop := m.changes.subscribe(secret)
	defer stop()
	for {
		if c, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: name}); err == nil && c != nil {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			tb.Fatalf("%s is never served from Secret %s", name, secret)
		}
	}
}
