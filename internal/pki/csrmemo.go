package pki

import (
	"crypto/x509"
	"sync"
	"sync/atomic"
)

// csrMemoSize bounds the CSRs a CSRMemo holds: those of the issuances in
// flight.
const csrMemoSize = 1024

// CSRMemo remembers CSRs by their PEM bytes: parsed once, and their
// signature checked once, however many decisions of a Manager read them
// (the request that carries one, its Order). A CSR this process signed
// itself is recorded as such (Made) and never verified again. A nil
// *CSRMemo parses and verifies every time. Callers must not modify what
// it returns.
type CSRMemo struct {
	mu sync.Mutex
	m  map[string]*csrEntry
	// parsed and verified count the parses and signature checks made.
	parsed, verified atomic.Int64
}

type csrEntry struct {
	mu       sync.Mutex // held while parsing or verifying this CSR
	csr      *x509.CertificateRequest
	err      error
	verified bool // its signature is known good
}

// Made records that this process signed the CSR data with its own key:
// its signature is good.
func (m *CSRMemo) Made(data []byte) {
	if m == nil {
		return
	}
	e := m.entry(data)
	e.mu.Lock()
	e.verified = true
	e.mu.Unlock()
}

// Parse is ParseCSRUnverified, once per CSR.
func (m *CSRMemo) Parse(data []byte) (*x509.CertificateRequest, error) {
	if m == nil {
		return ParseCSRUnverified(data)
	}
	e := m.entry(data)
	e.mu.Lock()
	defer e.mu.Unlock()
	return m.parsedLocked(e, data)
}

// ParseHeld is Parse for a CSR the memo holds already (one in flight: made
// here, or read by a request or Order); any other is parsed without being
// remembered, so a reader of every settled request does not fill the memo.
func (m *CSRMemo) ParseHeld(data []byte) (*x509.CertificateRequest, error) {
	if m != nil {
		m.mu.Lock()
		e, ok := m.m[string(data)]
		m.mu.Unlock()
		if ok {
			e.mu.Lock()
			defer e.mu.Unlock()
			return m.parsedLocked(e, data)
		}
	}
	return ParseCSRUnverified(data)
}

// ParseVerified is ParseCSR, once per CSR, and without checking the
// signature of one this process made.
func (m *CSRMemo) ParseVerified(data []byte) (*x509.CertificateRequest, error) {
	if m == nil {
		return ParseCSR(data)
	}
	e := m.entry(data)
	e.mu.Lock()
	defer e.mu.Unlock()
	csr, err := m.parsedLocked(e, data)
	if err != nil || e.verified {
		return csr, err
	}
	m.verified.Add(1)
	if err := ParseCSRSignature(csr); err != nil {
		return nil, err
	}
	e.verified = true
	return csr, nil
}

// Counts returns the parses and signature checks the memo made.
func (m *CSRMemo) Counts() (parsed, verified int64) {
	if m == nil {
		return 0, 0
	}
	return m.parsed.Load(), m.verified.Load()
}

// entry returns data's entry, made empty if new.
func (m *CSRMemo) entry(data []byte) *csrEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.m[string(data)]; ok {
		return e
	}
	if m.m == nil || len(m.m) >= csrMemoSize {
		m.m = map[string]*csrEntry{}
	}
	e := &csrEntry{}
	m.m[string(data)] = e
	return e
}

// parsedLocked parses e's CSR unless it was; e.mu is held.
func (m *CSRMemo) parsedLocked(e *csrEntry, data []byte) (*x509.CertificateRequest, error) {
	if e.csr == nil && e.err == nil {
		m.parsed.Add(1)
		e.csr, e.err = ParseCSRUnverified(data)
	}
	return e.csr, e.err
}

// Forget drops the CSR data, once nothing is left to decide on it: the
// memo holds the issuances in flight, not every CSR signed.
func (m *CSRMemo) Forget(data []byte) {
	if m == nil || len(data) == 0 {
		return
	}
	m.mu.Lock()
	delete(m.m, string(data))
	m.mu.Unlock()
}

// Len returns how many CSRs the memo holds.
func (m *CSRMemo) Len() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}
