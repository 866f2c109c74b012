package acmepost_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/acmepost"
	"github.com/certflow/certflow/internal/acmeproto"
)

// client registers an account at srv and returns its x/crypto client.
func client(ctx context.Context, t *testing.T, srv *acmetest.Server) *acme.Client {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cl := &acme.Client{Key: key, DirectoryURL: srv.DirectoryURL(), HTTPClient: srv.Client()}
	_, err = cl.Register(ctx, &acme.Account{}, acme.AcceptTOS)
	require.NoError(t, err)
	return cl
}

// order opens an order for name and, if accept, accepts its http-01
// challenge (the server validates always) and waits until it is ready.
func order(ctx context.Context, t *testing.T, cl *acme.Client, name string, accept bool) *acme.Order {
	t.Helper()
	o, err := cl.AuthorizeOrder(ctx, acme.DomainIDs(name))
	require.NoError(t, err)
	if !accept {
		return o
	}
	for _, u := range o.AuthzURLs {
		a, err := cl.GetAuthorization(ctx, u)
		require.NoError(t, err)
		for _, c := range a.Challenges {
			if c.Type == "http-01" {
				_, err := cl.Accept(ctx, c)
				require.NoError(t, err)
			}
		}
	}
	for o.Status != acme.StatusReady {
		require.NotEqual(t, acme.StatusInvalid, o.Status)
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(5 * time.Millisecond): // the server offers nothing to await
		}
		o, err = cl.GetOrder(ctx, o.URI)
		require.NoError(t, err)
	}
	return o
}

func csrFor(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{name}}, key)
	require.NoError(t, err)
	return csr
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Finalize answers with the order as the CA sent it, without waiting for
// the certificate; the certificate is issued from it. Nonces are kept: the
// second finalize needs no newNonce request.
func TestFinalize(t *testing.T) {
	ctx := testCtx(t)
	srv := acmetest.NewServer(t, acmetest.WithAlwaysValid(), acmetest.WithAsyncFinalize())
	cl := client(ctx, t, srv)
	var post acmepost.Client

	nonces := srv.Requests(acmetest.EndpointNewNonce)
	for i, name := range []string{"one.example.test", "two.example.test"} {
		o := order(ctx, t, cl, name, true)
		got, _, err := post.Finalize(ctx, cl, o.FinalizeURL, csrFor(t, name))
		require.NoError(t, err)
		assert.Contains(t, []string{acme.StatusProcessing, acme.StatusValid}, got.Status, "the order as finalize left it")
		assert.Equal(t, o.FinalizeURL, got.FinalizeURL)
		assert.Equal(t, []acme.AuthzID{{Type: "dns", Value: name}}, got.Identifiers)
		valid, err := cl.WaitOrder(ctx, o.URI)
		require.NoError(t, err)
		require.Equal(t, acme.StatusValid, valid.Status)
		der, err := cl.FetchCert(ctx, valid.CertURL, false)
		require.NoError(t, err)
		leaf, err := x509.ParseCertificate(der[0])
		require.NoError(t, err)
		assert.Equal(t, []string{name}, leaf.DNSNames)
		if i == 0 {
			assert.Equal(t, nonces+1, srv.Requests(acmetest.EndpointNewNonce), "the first finalize asks for a nonce")
		} else {
			assert.Equal(t, nonces+1, srv.Requests(acmetest.EndpointNewNonce), "the next one uses the nonce the first answer brought")
		}
	}
	assert.Equal(t, 2, srv.Requests(acmetest.EndpointFinalize))
}

// A badNonce answer is retried at once with the nonce it brought, as RFC
// 8555 §6.5 asks; nothing else is retried.
func TestFinalizeRetriesBadNonce(t *testing.T) {
	ctx := testCtx(t)
	srv := acmetest.NewServer(t, acmetest.WithAlwaysValid(),
		acmetest.WithFaults(acmetest.BadNonce(acmetest.EndpointFinalize, 1), acmetest.ServerInternal(acmetest.EndpointFinalize, 3)))
	cl := client(ctx, t, srv)
	var post acmepost.Client

	o := order(ctx, t, cl, "nonce.example.test", true)
	got, _, err := post.Finalize(ctx, cl, o.FinalizeURL, csrFor(t, "nonce.example.test"))
	require.NoError(t, err)
	assert.Contains(t, []string{acme.StatusProcessing, acme.StatusValid}, got.Status)
	assert.Equal(t, 2, srv.Requests(acmetest.EndpointFinalize), "the bad nonce, then the finalize")

	o = order(ctx, t, cl, "five.example.test", true)
	_, _, err = post.Finalize(ctx, cl, o.FinalizeURL, csrFor(t, "five.example.test"))
	var ae *acme.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 500, ae.StatusCode)
	assert.Equal(t, acmeproto.Transient, acmeproto.Classify(err, time.Now()).Class)
	assert.Equal(t, 3, srv.Requests(acmetest.EndpointFinalize), "a 5xx is not retried")
}

// A refusal is an *acme.Error that acmeproto classifies like x/crypto's.
func TestFinalizeNotReady(t *testing.T) {
	ctx := testCtx(t)
	srv := acmetest.NewServer(t)
	cl := client(ctx, t, srv)
	o := order(ctx, t, cl, "early.example.test", false)
	var post acmepost.Client
	_, _, err := post.Finalize(ctx, cl, o.FinalizeURL, csrFor(t, "early.example.test"))
	var ae *acme.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 403, ae.StatusCode)
	assert.Equal(t, acmeproto.ProblemOrderNotReady, ae.ProblemType)
	assert.Contains(t, ae.Detail, "pending")
	assert.Equal(t, acmeproto.Terminal, acmeproto.Classify(err, time.Now()).Class)
}

func TestFinalizeNeedsAnAccount(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	var post acmepost.Client
	_, _, err = post.Finalize(context.Background(), &acme.Client{Key: key, DirectoryURL: "https://ca.invalid/dir"}, "https://ca.invalid/finalize/1", nil)
	assert.True(t, errors.Is(err, acmepost.ErrNoAccount), "%v", err)
}
