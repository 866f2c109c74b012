package acmetest

import (
	"strings"
	"sync"
	"testing"
)

// testLogWriter sends Pebble's log lines to tb.Logf until stop. Pebble's
// background goroutines may log after the Server closed; calling Logf after
// the test ended would panic, so stop (run by the test's cleanup) cuts it.
type testLogWriter struct {
	tb      testing.TB
	mu      sync.Mutex
	stopped bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.tb.Logf("%s", strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testLogWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
}
