package certificate

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"sync"
	"sync/atomic"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// memoSize bounds what a reconciler remembers per kind of parse: the
// objects of the issuances in flight and of recently visited Certificates.
const memoSize = 4096

// memo remembers, per stored object and version, what was parsed from it:
// a Certificate's next key, its Secret and its requests are read on every
// visit of an issuance while none of them changes, and parsing keys and
// CSRs is the costliest part of a decision. A memo lives with its
// Reconciler, so what it holds goes with the Manager; a nil memo parses
// every time (the decision is the same either way).
type memo[T any] struct {
	mu sync.Mutex
	m  map[meta.Ref]memoEntry[T]
	// parsed counts the parses the memo did not spare.
	parsed atomic.Int64
}

type memoEntry[T any] struct {
	version string
	in      []byte
	v       T
	err     error
}

// get returns what parse makes of in, the bytes of ref at version: from the
// memo when both match what was parsed before (the bytes too, so no rule
// about versions has to hold for the memo to be right).
func (p *memo[T]) get(ref meta.Ref, version string, in []byte, parse func() (T, error)) (T, error) {
	if p == nil || version == "" {
		return parse()
	}
	p.mu.Lock()
	e, ok := p.m[ref]
	p.mu.Unlock()
	if ok && e.version == version && bytes.Equal(e.in, in) {
		return e.v, e.err
	}
	v, err := parse()
	p.parsed.Add(1)
	p.put(ref, memoEntry[T]{version: version, in: in, v: v, err: err})
	return v, err
}

// remember records v as what parsing in, the bytes of ref at version, makes:
// what the reconciler made itself (a key it generated and stored) needs no
// parse when it is read back.
func (p *memo[T]) remember(ref meta.Ref, version string, in []byte, v T) {
	if p == nil || version == "" {
		return
	}
	p.put(ref, memoEntry[T]{version: version, in: in, v: v})
}

func (p *memo[T]) put(ref meta.Ref, e memoEntry[T]) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[meta.Ref]memoEntry[T]{}
	}
	if len(p.m) >= memoSize {
		for r := range p.m {
			delete(p.m, r)
			break
		}
	}
	p.m[ref] = e
}

// forget drops what the memo holds for ref and returns it.
func (p *memo[T]) forget(ref meta.Ref) (T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[ref]
	delete(p.m, ref)
	return e.v, ok
}

// parsers are a reconciler's memos.
type parsers struct {
	keys memo[crypto.Signer]
	csrs memo[*x509.CertificateRequest]
	// chains, if set, is shared with the request reconciler.
	chains *pki.ChainMemo
	pems   keyEncodings
	// shared, if set, is the Manager's CSR memo: the CSR this reconciler
	// signed is parsed there once for the request and Order reconcilers,
	// and csr takes the same parse instead of making its own (only for a
	// CSR in flight, which the memo holds).
	shared *pki.CSRMemo
}

// encodeKey returns key in PEM (PKCS#8 or the algorithm's own form),
// encoded once per key and form.
func (p *parsers) encodeKey(key crypto.Signer, pkcs8 bool) ([]byte, error) {
	if p == nil {
		return pki.EncodePrivateKey(key, pkcs8)
	}
	return p.pems.encode(key, pkcs8)
}

// chain returns the certificates of a PEM chain, parsed once per chain
// when the reconciler shares a chain memo.
func (p *parsers) chain(data []byte) ([]*x509.Certificate, error) {
	if p == nil {
		return pki.ParseChain(data)
	}
	return p.chains.Parse(data)
}

// key returns the private key in sec's tls.key, parsed once per version.
func (p *parsers) key(sec *secret.Secret) (crypto.Signer, error) {
	parse := func() (crypto.Signer, error) { return pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey]) }
	if p == nil {
		return parse()
	}
	return p.keys.get(meta.RefOf(sec), sec.ObjectMeta.ResourceVersion, sec.Data[secret.TLSKeyKey], parse)
}

// rememberKey records key as the private key in sec's tls.key, as sec was
// just stored.
func (p *parsers) rememberKey(sec *secret.Secret, key crypto.Signer) {
	if p == nil || key == nil {
		return
	}
	p.keys.remember(meta.RefOf(sec), sec.ObjectMeta.ResourceVersion, sec.Data[secret.TLSKeyKey], key)
}

// csr returns req's CSR, parsed (not verified) once per request: its spec
// is immutable, so its UID names its CSR.
func (p *parsers) csr(req *request.CertificateRequest) (*x509.CertificateRequest, error) {
	if p == nil {
		return pki.ParseCSRUnverified(req.Spec.Request)
	}
	parse := func() (*x509.CertificateRequest, error) { return p.shared.ParseHeld(req.Spec.Request) }
	return p.csrs.get(meta.RefOf(req), req.ObjectMeta.UID, req.Spec.Request, parse)
}
