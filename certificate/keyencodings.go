package certificate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"sync"
	"sync/atomic"

	"github.com/certflow/certflow/internal/pki"
)

// keyEncodings remembers the PEM of each key the reconciler encoded, by key
// and form (PKCS#8 or the algorithm's own): an issuance encodes its next
// key for the Certificate's Secret when it decides to write it, again when
// it decides that Secret is up to date, and to recognise the key in what
// it stored (rememberKeys); ASN.1 marshalling is the costliest allocation
// of a decision after the Store's. Only keys held by pointer are
// remembered (an Ed25519 key is a slice, not a map key), and a key's
// encoding never changes, so a remembered one is what encoding again
// makes.
type keyEncodings struct {
	mu sync.Mutex
	m  map[keyForm][]byte
	// encoded counts the encodings it did not spare.
	encoded atomic.Int64
}

type keyForm struct {
	key   crypto.Signer
	pkcs8 bool
}

// encode returns key in PEM, PKCS#8 or the algorithm's own form; a nil
// memo encodes every time.
func (e *keyEncodings) encode(key crypto.Signer, pkcs8 bool) ([]byte, error) {
	if e == nil || !byPointer(key) {
		return pki.EncodePrivateKey(key, pkcs8)
	}
	f := keyForm{key, pkcs8}
	e.mu.Lock()
	pemKey, ok := e.m[f]
	e.mu.Unlock()
	if ok {
		return pemKey, nil
	}
	pemKey, err := pki.EncodePrivateKey(key, pkcs8)
	e.encoded.Add(1)
	if err == nil {
		e.remember(key, pkcs8, pemKey)
	}
	return pemKey, err
}

// remember records pemKey as key's encoding in that form.
func (e *keyEncodings) remember(key crypto.Signer, pkcs8 bool, pemKey []byte) {
	if e == nil || !byPointer(key) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[keyForm][]byte{}
	}
	if len(e.m) >= memoSize {
		for f := range e.m {
			delete(e.m, f)
			break
		}
	}
	e.m[keyForm{key, pkcs8}] = pemKey
}

// forget drops key's encodings.
func (e *keyEncodings) forget(key crypto.Signer) {
	if !byPointer(key) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, keyForm{key, true})
	delete(e.m, keyForm{key, false})
}

func byPointer(key crypto.Signer) bool {
	switch key.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
		return key != nil
	}
	return false
}
