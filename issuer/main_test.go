package issuer

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/certflow/certflow/acmetest/acmeleak"
)

// TestMain fails the package if a goroutine (an HTTP connection of a cached
// ACME client, say) outlives the tests; Pebble's immortal one is allowed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, acmeleak.IgnoreGoroutines()...)
}
