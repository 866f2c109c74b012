package serve

import (
	"bytes"
	"encoding/pem"
	"slices"
)

// chainTail remembers, for one goroutine parsing Secret after Secret, the
// PEM that followed the last leaf's block in tls.crt and the CERTIFICATE
// blocks decoded from it. The Secrets one CA issued carry the same chain
// after their leaf, and decoding it again for each was a third of a
// restart's PEM decoding at 100k (and a copy of the CA's DER a Secret,
// garbage once shareChain swapped it for the index's). pem.Decode reads
// nothing before the input it is given, so equal bytes decode to equal
// blocks. Its DER is shared by the chains built from it, read-only as
// every served chain.
type chainTail struct {
	pem  []byte // a copy: the caller may reuse the Secret's bytes
	ders [][]byte
}

// certChainAfter is certChain, decoding the blocks after the first one
// only when they are not those tail remembers (tail nil: always), and
// then remembering them.
func certChainAfter(crt []byte, tail *chainTail) ([][]byte, error) {
	b, rest := pem.Decode(crt)
	if b == nil {
		return nil, errNoCertBlock
	}
	var chain [][]byte
	if b.Type == "CERTIFICATE" {
		chain = append(chain, b.Bytes)
	}
	if tail != nil && tail.pem != nil && bytes.Equal(rest, tail.pem) {
		chain = append(chain, tail.ders...)
	} else {
		n := len(chain)
		chain = appendCertBlocks(chain, rest)
		if tail != nil {
			tail.pem, tail.ders = bytes.Clone(rest), slices.Clone(chain[n:])
		}
	}
	if len(chain) == 0 {
		return nil, errNoCertBlock
	}
	return chain, nil
}

// appendCertBlocks appends the DER of the CERTIFICATE blocks of data to
// chain, skipping other blocks as tls.X509KeyPair does.
func appendCertBlocks(chain [][]byte, data []byte) [][]byte {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return chain
		}
		if b.Type == "CERTIFICATE" {
			chain = append(chain, b.Bytes)
		}
	}
}
