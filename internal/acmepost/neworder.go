package acmepost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
)

// OrderOptions are the newOrder fields x/crypto/acme cannot send.
type OrderOptions struct {
	// Profile names the CA's certificate profile; it must be one of the
	// directory's meta.profiles (else a *acmeproto.ProfileError, nothing
	// sent). Empty names none.
	Profile string
	// Replaces is the ARI CertID (acmeproto.CertID) of the certificate the
	// order replaces (RFC 9773 §5), so the CA can exempt the order from its
	// limits. Empty names none; ignored when the CA does not offer ARI.
	Replaces string
}

// ErrNoOrderURL means the CA answered newOrder without the order's URL.
var ErrNoOrderURL = errors.New("acmepost: newOrder answer has no order URL")

// NewOrder opens an order for ids (RFC 8555 §7.4) with opts and returns it
// as the CA answered. A refusal is an *acme.Error (rateLimited,
// alreadyReplaced, rejectedIdentifier, …).
func (c *Client) NewOrder(ctx context.Context, cl *acme.Client, ids []acme.AuthzID, opts OrderOptions) (*acme.Order, error) {
	dir, err := c.directory(ctx, cl)
	if err != nil {
		return nil, err
	}
	if err := acmeproto.CheckProfile(opts.Profile, dir.profiles); err != nil {
		return nil, err
	}
	d, err := cl.Discover(ctx)
	if err != nil {
		return nil, err
	}
	type wireID struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	req := struct {
		Identifiers []wireID `json:"identifiers"`
		Profile     string   `json:"profile,omitempty"`
		Replaces    string   `json:"replaces,omitempty"`
	}{Profile: opts.Profile}
	if dir.renewalInfo != "" {
		req.Replaces = opts.Replaces
	}
	for _, id := range ids {
		req.Identifiers = append(req.Identifiers, wireID{Type: id.Type, Value: id.Value})
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	res, err := c.post(ctx, cl, d.OrderURL, payload)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		return nil, &acme.Error{StatusCode: res.StatusCode, Detail: "acmepost: newOrder: unexpected status " + res.Status, Header: res.Header}
	}
	var w wireOrder
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAnswer)).Decode(&w); err != nil {
		return nil, fmt.Errorf("acmepost: newOrder answer: %w", err)
	}
	o := w.order(res.Header.Get("Location"))
	if o.URI == "" {
		return nil, ErrNoOrderURL
	}
	return o, nil
}
