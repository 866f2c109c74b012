package acmetest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/certflow/certflow/acmetest"
)

// BenchmarkIssue measures one whole always-valid issuance (order,
// authorization, finalize, download) from a single client.
func BenchmarkIssue(b *testing.B) {
	ctx := testCtx(b, 5*time.Minute)
	s := acmetest.NewServer(b, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, b, s)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, _, err := issue(ctx, cl, []string{fmt.Sprintf("b%d.example.test", i)}, anyChallenge); err != nil {
			b.Fatal(err)
		}
	}
}
