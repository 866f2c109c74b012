package acmetest_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/certflow/certflow/acmetest/acmeleak"
)

// TestMain fails the package if any goroutine other than Pebble's documented
// immortal one outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, acmeleak.IgnoreGoroutines()...)
}
