package issuer

import (
	"testing"

	"github.com/certflow/certflow/acmetest/acmeleak"
	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine (an HTTP connection of a cached
// ACME client, say) outlives the tests; Pebble's immortal one is allowed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, acmeleak.IgnoreGoroutines()...)
}
