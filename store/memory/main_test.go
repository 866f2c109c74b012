package memory_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every watch must end with its context: no goroutine outlives a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
