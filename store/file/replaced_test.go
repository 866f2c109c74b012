package file_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// A Get racing with updates (each an atomic rename over the object file)
// reads one version or the other, never fails because the file it checked
// was replaced before it opened it.
func TestGetDuringUpdatesNeverFails(t *testing.T) {
	ctx := testCtx(t)
	s := openStore(t, t.TempDir(), file.WithoutSync())
	w := storetest.NewWidget("ns", "hot", map[string]string{"n": "0"})
	require.NoError(t, s.Create(ctx, w))
	const rounds = 3000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Update(ctx, w); err != nil {
				t.Errorf("update: %v", err)
				return
			}
		}
	})
	for range rounds {
		if err := s.Get(ctx, w.Ref(), &storetest.Widget{}); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("get during updates: %v", err)
		}
	}
	close(stop)
	wg.Wait()
}
