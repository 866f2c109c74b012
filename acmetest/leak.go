package acmetest

import "go.uber.org/goleak"

// PebbleVAGoroutine is the function of the goroutine that Pebble v2.10.3's
// va.New starts and that never exits (it ranges over a task channel nobody
// closes). Every Server leaves one behind; goroutine-leak checks must ignore
// it.
const PebbleVAGoroutine = "github.com/letsencrypt/pebble/v2/va.VAImpl.processTasks"

// IgnoreGoroutines returns goleak options that ignore the goroutines a
// closed Server leaves behind, for use with goleak.VerifyNone or
// goleak.VerifyTestMain in packages that use acmetest.
func IgnoreGoroutines() []goleak.Option {
	return []goleak.Option{goleak.IgnoreTopFunction(PebbleVAGoroutine)}
}
