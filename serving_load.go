package certflow

import (
	"runtime"
	"sync"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// decodePerWorker is the fewest Secrets worth a goroutine of their own.
const decodePerWorker = 256

// decodeSecrets decodes the Secrets among items on up to GOMAXPROCS
// goroutines, which all end before it returns: at a restart, decoding every
// Secret is a good part of the time until the names are served. The result
// is aligned with items: nil for other kinds and for Secrets that cannot be
// decoded.
func decodeSecrets(items []store.Raw) []*secret.Secret {
	out := make([]*secret.Secret, len(items))
	decode := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if items[i].Ref.Kind != meta.KindSecret {
				continue
			}
			s := &secret.Secret{}
			if items[i].Decode(s) == nil {
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
