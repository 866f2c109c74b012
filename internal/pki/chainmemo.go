package pki

import (
	"crypto/x509"
	"sync"
	"sync/atomic"
)

// chainMemoSize bounds the chains a ChainMemo holds: those of the
// issuances in flight.
const chainMemoSize = 1024

// ChainMemo remembers parsed PEM chains by their bytes: an issued chain is
// read by the request that receives it, by its Certificate before moving
// it into the Secret, and from that Secret, and parsing each certificate
// again is the costliest part of those decisions. A nil *ChainMemo parses
// every time. Callers must not modify what it returns.
type ChainMemo struct {
	mu sync.Mutex
	m  map[string]*chainEntry
	// issuers holds the parsed certificates found after a chain's leaf, by
	// DER: the chains of one CA all end with the same ones, parsed once and
	// held once for all of them rather than once per chain.
	issuers map[string]*x509.Certificate
	// parsed counts the chains parsed.
	parsed atomic.Int64
}

type chainEntry struct {
	once  sync.Once
	certs []*x509.Certificate
	err   error
}

// Parse is ParseChain, once per chain.
func (m *ChainMemo) Parse(data []byte) ([]*x509.Certificate, error) {
	if m == nil {
		return ParseChain(data)
	}
	m.mu.Lock()
	e, ok := m.m[string(data)]
	if !ok {
		if m.m == nil || len(m.m) >= chainMemoSize {
			m.m = map[string]*chainEntry{}
		}
		e = &chainEntry{}
		m.m[string(data)] = e
	}
	m.mu.Unlock()
	e.once.Do(func() {
		m.parsed.Add(1)
		e.certs, e.err = parseChain(data, m.issuer)
	})
	return e.certs, e.err
}

// Parsed returns how many chains the memo parsed.
func (m *ChainMemo) Parsed() int64 {
	if m == nil {
		return 0
	}
	return m.parsed.Load()
}

// issuersMemoSize bounds the issuer certificates a ChainMemo shares: a
// Manager's CAs and their intermediates.
const issuersMemoSize = 64

// issuer returns the certificate der, parsed once while the memo holds it.
func (m *ChainMemo) issuer(der []byte) (*x509.Certificate, error) {
	m.mu.Lock()
	c, ok := m.issuers[string(der)]
	m.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.issuers == nil {
		m.issuers = map[string]*x509.Certificate{}
	}
	if len(m.issuers) >= issuersMemoSize {
		// One out, not all: the CAs in use keep being shared.
		for d := range m.issuers {
			delete(m.issuers, d)
			break
		}
	}
	m.issuers[string(der)] = c
	return c, nil
}

// Forget drops the chain data, once nothing is left to decide on it: the
// memo holds the issuances in flight, not every chain issued.
func (m *ChainMemo) Forget(data []byte) {
	if m == nil || len(data) == 0 {
		return
	}
	m.mu.Lock()
	delete(m.m, string(data))
	m.mu.Unlock()
}

// Len returns how many chains the memo holds.
func (m *ChainMemo) Len() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}
