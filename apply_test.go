package certflow

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/memory"
)

// applyManagers returns Managers (never run) that write through the named
// store setup: one memory store shared by all, or one file.Open handle per
// Manager on a shared directory (as separate processes would have).
func applyManagers(t *testing.T, setup string, n int) []*Manager {
	t.Helper()
	ms := make([]*Manager, n)
	var mem *memory.Store
	dir := t.TempDir()
	for i := range ms {
		var st store.Store
		switch setup {
		case "memory":
			if mem == nil {
				mem = memory.New()
			}
			st = mem
		case "file":
			fs, err := file.Open(dir, file.WithoutSync())
			require.NoError(t, err)
			t.Cleanup(func() { _ = fs.Close() })
			st = fs
		}
		m, err := New(Config{Store: st})
		require.NoError(t, err)
		ms[i] = m
	}
	return ms
}

// TestApply_ConcurrentCreatesAllSucceed: callers creating the same new
// object at once all succeed (create-or-update), one object results, and
// its Generation counts the spec changes that were applied.
func TestApply_ConcurrentCreatesAllSucceed(t *testing.T) {
	const callers = 16
	for _, setup := range []string{"memory", "file"} {
		for _, sameSpec := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/sameSpec=%v", setup, sameSpec), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				ms := applyManagers(t, setup, 2)
				names := func(i int) string {
					if sameSpec {
						return "web.example.test"
					}
					return fmt.Sprintf("web%d.example.test", i)
				}
				start := make(chan struct{})
				errs := make([]error, callers)
				var wg sync.WaitGroup
				for i := 0; i < callers; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						errs[i] = ms[i%len(ms)].Apply(ctx, testrig.Certificate("default", "web", "ca", names(i)))
					}()
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					require.NoError(t, err, "caller %d", i)
				}

				res, err := ms[0].cfg.Store.List(ctx, store.ListOptions{Kind: meta.KindCertificate})
				require.NoError(t, err)
				require.Len(t, res.Items, 1)
				got := &certificate.Certificate{}
				require.NoError(t, ms[0].Get(ctx, testrig.CertRef("default", "web"), got))
				applied := map[string]bool{}
				for i := 0; i < callers; i++ {
					applied[names(i)] = true
				}
				require.Len(t, got.Spec.DNSNames, 1)
				assert.True(t, applied[got.Spec.DNSNames[0]], "the stored spec is one that was applied: %v", got.Spec.DNSNames)
				if sameSpec {
					assert.Equal(t, int64(1), got.ObjectMeta.Generation, "the same spec applied again is no change")
				} else {
					// Every caller's spec differs from every other's, so each
					// apply after the first one is a spec change.
					assert.Equal(t, int64(callers), got.ObjectMeta.Generation)
				}
			})
		}
	}
}
