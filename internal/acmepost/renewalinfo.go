package acmepost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
)

// ErrNoRenewalInfo means the CA's directory advertises no renewalInfo
// resource: it does not offer ACME Renewal Information (RFC 9773).
var ErrNoRenewalInfo = errors.New("acmepost: the CA does not offer ACME Renewal Information")

// ErrBadRenewalInfo means the CA's renewalInfo answer is not a valid
// RenewalInfo object (RFC 9773 §4.2: a window whose end is not after its
// start is invalid).
var ErrBadRenewalInfo = errors.New("acmepost: invalid renewalInfo answer")

// RenewalInfo is the CA's answer about one certificate (RFC 9773 §4.2).
type RenewalInfo struct {
	// Start and End bound the suggested renewal window.
	Start, End time.Time
	// ExplanationURL, if the CA gave one, says why the window is where it
	// is (e.g. an incident that requires revocation).
	ExplanationURL string
	// RetryAfter is when the CA asks to be asked again; 0 if it did not say.
	RetryAfter time.Duration
}

// RenewalInfo fetches the renewal information of the certificate certID
// (acmeproto.CertID) with an unauthenticated GET of the CA's renewalInfo
// resource. A refusal (404 for a certificate the CA does not know, 429 …)
// is an *acme.Error carrying the CA's headers.
func (c *Client) RenewalInfo(ctx context.Context, cl *acme.Client, certID string) (RenewalInfo, error) {
	dir, err := c.directory(ctx, cl)
	if err != nil {
		return RenewalInfo{}, err
	}
	if dir.renewalInfo == "" {
		return RenewalInfo{}, ErrNoRenewalInfo
	}
	res, err := c.send(ctx, cl, http.MethodGet, strings.TrimRight(dir.renewalInfo, "/")+"/"+certID, nil)
	if err != nil {
		return RenewalInfo{}, fmt.Errorf("acmepost: renewalInfo: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return RenewalInfo{}, problem(res)
	}
	defer res.Body.Close()
	// Read against the wall clock: the CA's dates live there.
	wait, _ := acmeproto.ParseRetryAfter(res.Header.Get("Retry-After"), time.Now())
	var w struct {
		SuggestedWindow struct {
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
		} `json:"suggestedWindow"`
		ExplanationURL string `json:"explanationURL"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAnswer)).Decode(&w); err != nil {
		return RenewalInfo{}, fmt.Errorf("%w: %w", ErrBadRenewalInfo, err)
	}
	if !w.SuggestedWindow.End.After(w.SuggestedWindow.Start) {
		return RenewalInfo{}, fmt.Errorf("%w: window end %s is not after its start %s", ErrBadRenewalInfo,
			w.SuggestedWindow.End.Format(time.RFC3339), w.SuggestedWindow.Start.Format(time.RFC3339))
	}
	return RenewalInfo{Start: w.SuggestedWindow.Start, End: w.SuggestedWindow.End,
		ExplanationURL: w.ExplanationURL, RetryAfter: wait}, nil
}
