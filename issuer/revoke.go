package issuer

import (
	"context"
	"crypto"
	"fmt"
	"net/http"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// RevokeCert asks the CA of iss, an ACME issuer, to revoke the certificate
// der with the RFC 5280 reason code (RFC 8555 §7.6). With certKey nil the
// request is signed by the issuer's account, which must be registered and
// Ready (else ErrNotReady); with certKey, the certificate's own private
// key, it is signed by that key alone, so it works without the account
// (lost, deactivated, or another issuer's). The CA's refusal is returned
// as an *acme.Error, alreadyRevoked included. A non-ACME issuer is
// ErrUnsupported with reconcile.ErrTerminal.
func (c *ACMEClients) RevokeCert(ctx context.Context, iss Object, der []byte, reason int, certKey crypto.Signer) error {
	ctx = acmeproto.WithAction(ctx, acmeproto.ActionRevokeCert)
	if certKey == nil {
		cl, err := c.Client(ctx, iss)
		if err != nil {
			return err
		}
		return c.post.RevokeCert(ctx, cl, der, reason, nil)
	}
	a := iss.IssuerSpec().ACME
	if a == nil {
		return fmt.Errorf("issuer: revoke: %w: %w: %s is not an ACME issuer", reconcile.ErrTerminal, ErrUnsupported, meta.RefOf(iss))
	}
	cl, closeIdle, err := c.anonymous(a)
	if err != nil {
		return err
	}
	defer closeIdle()
	return c.post.RevokeCert(ctx, cl, der, reason, certKey)
}

// anonymous returns a client of a's CA with no account (for requests
// signed by another key), and a function closing the idle connections of
// any transport made for it.
func (c *ACMEClients) anonymous(a *ACMEIssuer) (*acme.Client, func(), error) {
	hc, tr, err := c.httpClient(a)
	if err != nil {
		return nil, nil, err
	}
	closeIdle := func() {}
	if tr != nil {
		closeIdle = tr.CloseIdleConnections
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	rt = boundNonces{rt}
	if wrap := c.opts.WrapTransport; wrap != nil {
		rt = wrap(rt, a.Server)
	}
	hc = timedClient(rt, hc)
	return &acme.Client{HTTPClient: hc, DirectoryURL: a.Server, UserAgent: c.opts.UserAgent, RetryBackoff: retryBackoff}, closeIdle, nil
}

// DeactivateAuthorization deactivates the pending authorization at url of
// iss's account (RFC 8555 §7.5.2), so it no longer counts against the
// account's pending authorizations.
func (c *ACMEClients) DeactivateAuthorization(ctx context.Context, iss Object, url string) error {
	cl, err := c.Client(ctx, iss)
	if err != nil {
		return err
	}
	return cl.RevokeAuthorization(acmeproto.WithAction(ctx, acmeproto.ActionRevokeAuthorization), url)
}
