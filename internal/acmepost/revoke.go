package acmepost

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"golang.org/x/crypto/acme"
)

// ErrNoRevokeURL means the CA's directory names no revokeCert resource.
var ErrNoRevokeURL = errors.New("acmepost: the CA offers no revokeCert resource")

// RevokeCert asks the CA to revoke the certificate der (RFC 8555 §7.6)
// with the RFC 5280 reason code. With certKey nil the request is signed by
// cl's account; otherwise by certKey, the certificate's own private key,
// with its public key in the request, so no account is needed.
//
// Unlike x/crypto/acme's RevokeCert, a CA's alreadyRevoked answer is
// returned (an *acme.Error) instead of being taken for success: the caller
// decides what a revocation it did not make means.
func (c *Client) RevokeCert(ctx context.Context, cl *acme.Client, der []byte, reason int, certKey crypto.Signer) error {
	dir, err := cl.Discover(ctx)
	if err != nil {
		return err
	}
	if dir.RevokeURL == "" {
		return ErrNoRevokeURL
	}
	payload, err := json.Marshal(struct {
		Certificate string `json:"certificate"`
		Reason      int    `json:"reason"`
	}{base64.RawURLEncoding.EncodeToString(der), reason})
	if err != nil {
		return err
	}
	var res *http.Response
	if certKey != nil {
		res, err = c.postAs(ctx, cl, certKey, "", dir.RevokeURL, payload)
	} else {
		res, err = c.post(ctx, cl, dir.RevokeURL, payload)
	}
	if err != nil {
		return err
	}
	return res.Body.Close()
}
