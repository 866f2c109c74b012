package acmetest

import (
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
