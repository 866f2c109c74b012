package certificate

import (
	"crypto"
	"sync"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// keyMemoSize bounds the keys a reconciler remembers: the Secrets of the
// issuances in flight and of recently visited Certificates.
const keyMemoSize = 4096

// keyMemo remembers, per Secret and ResourceVersion, the private key parsed
// from it: a Certificate's next key and its Secret are read on every visit
// of an issuance while neither changes, and parsing a key (deriving its
// public half) is the costliest part of a decision. It lives with its
// Reconciler, so the keys it holds go with the Manager.
type keyMemo struct {
	mu sync.Mutex
	m  map[meta.Ref]memoKey
}

type memoKey struct {
	rv  string
	key crypto.Signer
	err error
}

// parse returns the private key in sec's tls.key, parsed once per version.
func (k *keyMemo) parse(sec *secret.Secret) (crypto.Signer, error) {
	if k == nil || sec.ObjectMeta.ResourceVersion == "" {
		return pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey])
	}
	ref, rv := meta.RefOf(sec), sec.ObjectMeta.ResourceVersion
	k.mu.Lock()
	got, ok := k.m[ref]
	k.mu.Unlock()
	if ok && got.rv == rv {
		return got.key, got.err
	}
	key, err := pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey])
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[meta.Ref]memoKey{}
	}
	if len(k.m) >= keyMemoSize {
		for r := range k.m {
			delete(k.m, r)
			break
		}
	}
	k.m[ref] = memoKey{rv: rv, key: key, err: err}
	return key, err
}
