package certflow

import (
	"runtime"
	"sync"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/serve"
	"github.com/certflow/certflow/store"
)

// preloadBatch is how many scanned Secrets a preload worker decodes and
// parses at once: enough to make the hand-over's cost negligible, few
// enough that the workers start while the Store still reads.
const preloadBatch = 256

// secretPreload decodes what serving reads of each Secret a Scan hands
// over (servingSecret) and parses it for the serving cache (serve.Parse),
// a batch at a time on up to GOMAXPROCS goroutines, while the Store reads
// the next: at a restart on 100k certificates reading the files, decoding
// and parsing were three phases one after the other, and the Secrets' raw
// bytes (~390 MB) were all held until the last one was parsed. Its
// workers start with the first full batch, so a few Secrets are decoded
// and parsed by end on the caller's goroutine.
type secretPreload struct {
	cache   *serve.Cache
	batch   []store.Raw
	batches chan []store.Raw // nil until the workers start
	parts   []preloadPart    // one a worker
	wg      sync.WaitGroup
}

// preloadPart is what one worker made of its batches.
type preloadPart struct {
	parsed serve.Parsed
	// served are the Secrets given to the cache, with their listed
	// versions (wiring.preloaded).
	served []refVersion
	// secret and scratch are reused for each Secret decoded: Parse keeps
	// none of its bytes.
	secret  secret.Secret
	scratch []byte
}

type refVersion struct {
	ref     meta.Ref
	version string
}

func newSecretPreload(cache *serve.Cache) *secretPreload {
	return &secretPreload{cache: cache}
}

// add takes one scanned object; it blocks while every worker is busy and
// batches wait, so the Scan reads no further ahead than that.
func (p *secretPreload) add(raw store.Raw) error {
	p.batch = append(p.batch, raw)
	if len(p.batch) < preloadBatch {
		return nil
	}
	if p.batches == nil {
		p.start()
	}
	p.batches <- p.batch
	p.batch = make([]store.Raw, 0, preloadBatch)
	return nil
}

func (p *secretPreload) start() {
	workers := runtime.GOMAXPROCS(0)
	p.batches = make(chan []store.Raw, workers)
	p.parts = make([]preloadPart, workers)
	for i := range p.parts {
		p.wg.Go(func() {
			for batch := range p.batches {
				p.parts[i].take(p.cache, batch)
			}
		})
	}
}

// end waits for the workers and returns what they parsed, and the version
// of each Secret given to the cache.
func (p *secretPreload) end() ([]*serve.Parsed, map[meta.Ref]string) {
	if p.batches == nil {
		p.parts = make([]preloadPart, 1)
		p.parts[0].take(p.cache, p.batch)
	} else {
		if len(p.batch) > 0 {
			p.batches <- p.batch
		}
		close(p.batches)
		p.wg.Wait()
	}
	p.batch = nil
	n := 0
	for i := range p.parts {
		n += len(p.parts[i].served)
	}
	parsed := make([]*serve.Parsed, len(p.parts))
	preloaded := make(map[meta.Ref]string, n)
	for i := range p.parts {
		parsed[i] = &p.parts[i].parsed
		for _, s := range p.parts[i].served {
			preloaded[s.ref] = s.version
		}
	}
	return parsed, preloaded
}

// take decodes and parses the servable Secrets of batch.
func (part *preloadPart) take(cache *serve.Cache, batch []store.Raw) {
	one := []*secret.Secret{&part.secret}
	for _, raw := range batch {
		if raw.Ref.Kind != meta.KindSecret {
			continue
		}
		part.scratch = part.scratch[:0]
		if !decodeServing(raw, &part.secret, &part.scratch) || !servableSecret(&part.secret) {
			continue
		}
		cache.Parse(&part.parsed, one)
		part.served = append(part.served, refVersion{raw.Ref, raw.ResourceVersion})
	}
}
