package serve

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"sync"
)

// lazyKey is the private key of a certificate Apply loaded, parsed on the
// first handshake that signs with it rather than at load: parsing a key
// (and deriving its public key to match it against the leaf's) is ~95% of
// what parsing a Secret costs, so a restart serving 100k Secrets would
// otherwise spend seconds on keys most of which no handshake needs soon.
//
// It is parsed together with the leaf (tls.X509KeyPair), whose issuer and
// subject names, public key and non-SAN extensions the load left unread
// (indexLeaf). A key that turns out unusable (unparsable, or not the
// leaf's), or whose leaf x509 refuses, is never used to sign: Public returns nil, which crypto/tls refuses as an
// unsupported key, and Sign and Decrypt return the error, which wraps
// ErrInvalidSecret. The Cache is told (keyFailed): it logs the Secret, counts
// it in InvalidKeys and stops serving it, so the next handshake for its
// names gets the next best certificate, or none.
type lazyKey struct {
	entry *certEntry
	cache *Cache
	once  sync.Once
	// keyDER is tls.key's private key block until the first use parses
	// it: the DER is two thirds of the PEM.
	keyDER []byte
	// signer is the parsed key, or nil when err says why not.
	signer crypto.Signer
	err    error
}

var (
	_ crypto.Signer    = (*lazyKey)(nil)
	_ crypto.Decrypter = (*lazyKey)(nil)
)

// load parses the key on the first call; every call returns the result.
func (k *lazyKey) load() (crypto.Signer, error) {
	k.once.Do(func() {
		k.signer, k.err = parseKeyFor(k.entry.cert.Certificate[0], k.keyDER)
		k.keyDER = nil
		if k.err != nil {
			k.err = fmt.Errorf("serve: secret %s: %w: %w", k.entry.ref, ErrInvalidSecret, k.err)
			k.cache.keyFailed(k.entry, k.err)
		}
	})
	return k.signer, k.err
}

// Public returns the key's public key, or nil when the key is unusable.
func (k *lazyKey) Public() crypto.PublicKey {
	s, err := k.load()
	if err != nil {
		return nil
	}
	return s.Public()
}

// Sign signs with the key, once it is parsed.
func (k *lazyKey) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s, err := k.load()
	if err != nil {
		return nil, err
	}
	return s.Sign(rand, digest, opts)
}

// Decrypt decrypts with an RSA key (TLS 1.2's RSA key exchange); crypto/tls
// asks only when Public is an RSA key.
func (k *lazyKey) Decrypt(rand io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	s, err := k.load()
	if err != nil {
		return nil, err
	}
	d, ok := s.(crypto.Decrypter)
	if !ok {
		return nil, fmt.Errorf("serve: secret %s: a %T key cannot decrypt", k.entry.ref, s)
	}
	return d.Decrypt(rand, msg, opts)
}

// parseKeyFor parses keyDER, the bytes of a private key PEM block, with
// tls.X509KeyPair (which tries PKCS #1, PKCS #8 and SEC 1 whatever the
// block's type), checking it is the key of the leaf leafDER, so that a key
// loaded late is accepted or refused exactly as one loaded at once. Its
// error wraps errUnusableLeaf or errUnusableKey, saying which was at fault.
func parseKeyFor(leafDER, keyDER []byte) (crypto.Signer, error) {
	pair, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		// X509KeyPair parses the leaf first; parsing it alone again, on
		// this failure only, tells whether it was the leaf.
		if _, leafErr := x509.ParseCertificate(leafDER); leafErr != nil {
			return nil, fmt.Errorf("%w: %w", errUnusableLeaf, leafErr)
		}
		return nil, fmt.Errorf("%w: %w", errUnusableKey, err)
	}
	s, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: a %T key cannot sign", errUnusableKey, pair.PrivateKey)
	}
	return s, nil
}

// errUnusableLeaf and errUnusableKey say which half of a Secret loaded by
// Apply its first handshake found unusable.
var (
	errUnusableLeaf = errors.New("the certificate is unusable")
	errUnusableKey  = errors.New("the private key is unusable")
)

// unusablePart names the half of the Secret err (from lazyKey) blames.
func unusablePart(err error) string {
	switch {
	case errors.Is(err, errUnusableLeaf):
		return "certificate"
	case errors.Is(err, errUnusableKey):
		return "private key"
	}
	return "certificate or private key"
}
