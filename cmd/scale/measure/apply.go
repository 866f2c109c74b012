package measure

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/certflow/certflow"
)

// applyAll applies the n Certificates one after another, and returns the
// CPU time the applying took (zero if unknown): Apply's own cost, which the
// wall-clock time hides, as the Manager issues the first Certificates
// meanwhile on the same cores. It is the CPU of the one OS thread the
// applying goroutine is locked to, so it counts Apply's work (its share of
// garbage collection included) and none of the Manager's.
func applyAll(ctx context.Context, m *certflow.Manager, n int) (time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	began, ok := threadCPUTime()
	for i := range n {
		if err := m.Apply(ctx, Certificate(i)); err != nil {
			return 0, fmt.Errorf("measure: apply %s: %w", CertName(i), err)
		}
	}
	ended, ok2 := threadCPUTime()
	if !ok || !ok2 {
		return 0, nil
	}
	return ended - began, nil
}
