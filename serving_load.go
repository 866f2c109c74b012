package certflow

import (
	"context"
	"runtime"
	"sync"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// decodePerWorker is the fewest Secrets worth a goroutine of their own.
const decodePerWorker = 256

// decodeSecrets decodes what serving reads (servingSecret) of the Secrets
// among items but those skip (if not nil) holds for, on up to GOMAXPROCS
// goroutines, which all end before it returns: at a restart, decoding
// every Secret is a good part of the time until the names are served. The
// result is aligned with items: nil for other kinds, skipped Secrets and
// Secrets that cannot be decoded.
func decodeSecrets(items []store.Raw, skip func(store.Raw) bool) []*secret.Secret {
	out := make([]*secret.Secret, len(items))
	decode := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if items[i].Ref.Kind != meta.KindSecret || skip != nil && skip(items[i]) {
				continue
			}
			if s, ok := servingSecret(items[i]); ok {
				out[i] = s
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(items)/decodePerWorker)
	if workers <= 1 {
		decode(0, len(items))
		return out
	}
	var wg sync.WaitGroup
	per := (len(items) + workers - 1) / workers
	for lo := 0; lo < len(items); lo += per {
		wg.Go(func() { decode(lo, min(lo+per, len(items))) })
	}
	wg.Wait()
	return out
}

// preloadServing serves the stored Secrets before the Manager's first list
// of everything: serving needs nothing else, and a full list of a file
// store holding 100k certificates reads 300k files. The Secrets are
// scanned, and decoded and parsed a batch at a time while the Store reads
// the next (secretPreload), so that neither the whole list's bytes nor
// every decoded Secret is held at once. The resync that follows decodes
// again only the Secrets that changed in between, and stops serving those
// deleted meanwhile. A re-list after the watch was compacted skips it:
// serving is current but for what changed.
func (w *wiring) preloadServing(ctx context.Context) {
	if w.listedOnce {
		return
	}
	p := newSecretPreload(w.cache)
	rev, err := store.ScanOf(ctx, w.deps.Store, store.ListOptions{Kind: meta.KindSecret}, p.add)
	parsed, preloaded := p.end()
	if rev == 0 && err != nil {
		return // the full list serves them, or fails Run
	}
	if err := w.cache.ApplyParsed(parsed...); err != nil {
		w.deps.Log.Warn("some Secrets cannot be served", "err", err)
	}
	w.preloaded = preloaded
}
