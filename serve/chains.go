package serve

// maxSharedChainCerts bounds the distinct chain certificates a certIndex
// keeps one copy of. A deployment has a handful of intermediates and roots;
// beyond the bound (a CA per Secret, say), new ones are simply not shared.
const maxSharedChainCerts = 1024

// shareChain makes e's chain certificates (all but the leaf) the index's
// single copy of each: every Secret a CA signed carries the CA's
// certificate, 100k times over at 100k Secrets. Called by put, before e is
// served, so no reader sees the swap. The bytes are never written to: a
// tls.Certificate is read-only once built.
func (ix *certIndex) shareChain(e *certEntry) {
	chain := e.cert.Certificate
	for i := 1; i < len(chain); i++ {
		if c, ok := ix.chainCerts[string(chain[i])]; ok {
			if len(c) > 0 && &c[0] != &chain[i][0] { // an entry put again is served already: no write
				chain[i] = c
			}
			continue
		}
		if ix.chainCerts == nil {
			ix.chainCerts = map[string][]byte{}
		}
		if len(ix.chainCerts) < maxSharedChainCerts {
			ix.chainCerts[string(chain[i])] = chain[i]
		}
	}
}
