package acmetest

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/letsencrypt/pebble/v2/core"
)

// ErrUnknownCertificate means the Server did not issue the certificate
// named.
var ErrUnknownCertificate = errors.New("acmetest: certificate not issued by this server")

// Revoke revokes leaf at the CA, as a CA does on its own (a mis-issuance,
// a mass revocation), without any request from the subscriber. From then
// on Pebble's renewalInfo answers a suggested window in the past (an hour
// ago, by the wall clock), which RFC 9773 clients take as "renew now".
func (s *Server) Revoke(leaf *x509.Certificate) error {
	c := s.pebble.db.GetCertificateBySerial(leaf.SerialNumber)
	if c == nil {
		return fmt.Errorf("%w: serial %x", ErrUnknownCertificate, leaf.SerialNumber)
	}
	reason := uint(1) // keyCompromise; any reason moves the window
	// The CA's wall clock, as Pebble dates everything it stores.
	s.pebble.db.RevokeCertificate(&core.RevokedCertificate{Certificate: c, RevokedAt: time.Now(), Reason: &reason})
	return nil
}

// SetRenewalWindow makes renewalInfo answer the window [start, end) and
// explanationURL (if not empty) for leaf instead of Pebble's own window,
// as Pebble's /set-renewal-info/ management endpoint does.
func (s *Server) SetRenewalWindow(leaf *x509.Certificate, start, end time.Time, explanationURL string) error {
	var w struct {
		SuggestedWindow struct {
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
		} `json:"suggestedWindow"`
		ExplanationURL string `json:"explanationURL,omitempty"`
	}
	w.SuggestedWindow.Start, w.SuggestedWindow.End, w.ExplanationURL = start.UTC(), end.UTC(), explanationURL
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	if err := s.pebble.db.SetARIResponse(leaf.SerialNumber, string(b)); err != nil {
		return fmt.Errorf("%w: %w", ErrUnknownCertificate, err)
	}
	return nil
}

// Revocation is what the CA recorded when it revoked a certificate.
type Revocation struct {
	// RevokedAt is when, by the CA's wall clock.
	RevokedAt time.Time
	// Reason is the RFC 5280 reason code given; -1 if none was.
	Reason int
}

// Revocation reports whether leaf is revoked at the CA, and how: what the
// CA's OCSP and CRLs would say about it.
func (s *Server) Revocation(leaf *x509.Certificate) (Revocation, bool) {
	rc := s.pebble.db.GetRevokedCertificateBySerial(leaf.SerialNumber)
	if rc == nil {
		return Revocation{}, false
	}
	r := Revocation{RevokedAt: rc.RevokedAt, Reason: -1}
	if rc.Reason != nil {
		r.Reason = int(*rc.Reason)
	}
	return r, true
}

// Account is what the CA holds about one ACME account.
type Account struct {
	// URL is the account's URL (its key ID), as the CA gave it.
	URL string
	// Status is valid, deactivated or revoked.
	Status string
}

// ErrUnknownAccount means no account of the server has the key asked for.
var ErrUnknownAccount = errors.New("acmetest: no account has this key")

// AccountOf returns the account whose key is pub: after an account key
// rollover (RFC 8555 §7.3.5) the new key finds the old account's URL, and
// the old key finds nothing.
func (s *Server) AccountOf(pub crypto.PublicKey) (Account, error) {
	a, err := s.pebble.db.GetAccountByKey(pub)
	if err != nil {
		return Account{}, fmt.Errorf("acmetest: account of key: %w", err)
	}
	if a == nil {
		return Account{}, ErrUnknownAccount
	}
	return Account{URL: s.URL() + accountPathPrefix + a.ID, Status: a.Status}, nil
}

// accountPathPrefix is Pebble's (unexported) account path.
const accountPathPrefix = "/my-account/"
