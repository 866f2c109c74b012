package acmepost

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
)

// Finalize asks the CA to issue the certificate of a ready order: it POSTs
// the DER CSR to the order's finalize URL and returns the order as the CA
// answered it (usually processing, sometimes already valid, with its
// certificate URL), and how long the CA asked to wait before looking at the
// order again (0 if it did not say). It does not wait for the certificate.
// A refusal is an *acme.Error (orderNotReady, badCSR, …).
func (c *Client) Finalize(ctx context.Context, cl *acme.Client, finalizeURL string, csr []byte) (*acme.Order, time.Duration, error) {
	res, err := c.post(ctx, cl, finalizeURL, finalizePayload(csr))
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	// A wire timestamp, not a decision: Retry-After may be an HTTP-date,
	// which only the wall clock can turn into a wait (the CA's dates live
	// there); the caller schedules the wait on its injected Clock.
	wait, _ := acmeproto.ParseRetryAfter(res.Header.Get("Retry-After"), time.Now())
	var w wireOrder
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAnswer)).Decode(&w); err != nil {
		return nil, 0, fmt.Errorf("acmepost: finalize answer: %w", err)
	}
	o := w.order(res.Header.Get("Location"))
	return o, wait, nil
}

// finalizePayload is {"csr": base64url(csr)}: base64url needs no JSON
// escaping, so it is appended, not marshalled.
func finalizePayload(csr []byte) []byte {
	enc := base64.RawURLEncoding
	b := make([]byte, 0, len(`{"csr":""}`)+enc.EncodedLen(len(csr)))
	b = append(b, `{"csr":"`...)
	b = enc.AppendEncode(b, csr)
	return append(b, `"}`...)
}

// order converts w into x/crypto's Order, at URL uri.
func (w *wireOrder) order(uri string) *acme.Order {
	o := &acme.Order{
		URI: uri, Status: w.Status, Expires: w.Expires,
		NotBefore: w.NotBefore, NotAfter: w.NotAfter, AuthzURLs: w.Authorizations,
		FinalizeURL: w.Finalize, CertURL: w.Certificate, Profile: acme.ProfileName(w.Profile),
	}
	for _, id := range w.Identifiers {
		o.Identifiers = append(o.Identifiers, acme.AuthzID{Type: id.Type, Value: id.Value})
	}
	if w.Error != nil {
		o.Error = w.Error.error(0, nil)
	}
	return o
}

// wireOrder is an order object (RFC 8555 §7.1.3).
type wireOrder struct {
	Status      string    `json:"status"`
	Expires     time.Time `json:"expires"`
	NotBefore   time.Time `json:"notBefore"`
	NotAfter    time.Time `json:"notAfter"`
	Identifiers []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"identifiers"`
	Authorizations []string     `json:"authorizations"`
	Finalize       string       `json:"finalize"`
	Certificate    string       `json:"certificate"`
	Profile        string       `json:"profile"`
	Error          *wireProblem `json:"error"`
}
