package acmetest

// PebbleVAGoroutine is the function of the goroutine that Pebble v2.10.3's
// va.New starts and that never exits (it ranges over a task channel nobody
// closes). Every Server leaves one behind after Close; goroutine-leak checks
// must ignore it (acmeleak.IgnoreGoroutines does, for goleak).
const PebbleVAGoroutine = "github.com/letsencrypt/pebble/v2/va.VAImpl.processTasks"

// PebbleValidationGoroutines returns the functions of Pebble's
// per-validation goroutines. Close cannot stop them; one still validating
// when its Server closes ends within Pebble's 15 s validation timeout.
func PebbleValidationGoroutines() []string {
	return []string{
		"github.com/letsencrypt/pebble/v2/va.VAImpl.process",
		"github.com/letsencrypt/pebble/v2/va.VAImpl.performValidation",
	}
}
