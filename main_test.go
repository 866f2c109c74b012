package certflow

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/certflow/certflow/acmetest/acmeleak"
)

// TestMain fails the package if any test leaves a goroutine running, except
// Pebble's validation authority loop, which never exits.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, acmeleak.IgnoreGoroutines()...)
}
