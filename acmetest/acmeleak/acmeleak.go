// Package acmeleak tells go.uber.org/goleak which goroutines a closed
// acmetest.Server may leave behind. It is its own package so that acmetest
// does not bring goleak into the binaries that import it.
//
//	func TestMain(m *testing.M) {
//		goleak.VerifyTestMain(m, acmeleak.IgnoreGoroutines()...)
//	}
package acmeleak

import (
	"go.uber.org/goleak"

	"github.com/certflow/certflow/acmetest"
)

// IgnoreGoroutines returns goleak options that ignore the goroutines a
// closed Server may leave behind: acmetest.PebbleVAGoroutine, forever, and
// acmetest.PebbleValidationGoroutines, briefly.
func IgnoreGoroutines() []goleak.Option {
	opts := []goleak.Option{goleak.IgnoreTopFunction(acmetest.PebbleVAGoroutine)}
	for _, f := range acmetest.PebbleValidationGoroutines() {
		opts = append(opts, goleak.IgnoreAnyFunction(f))
	}
	return opts
}
