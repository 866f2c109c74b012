package acmepost_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/acmepost"
	"github.com/certflow/certflow/internal/acmeproto"
)

// issue has a certificate for name issued through post, from an order
// opened with opts, and returns its leaf and order.
func issue(ctx context.Context, t *testing.T, post *acmepost.Client, cl *acme.Client, name string, opts acmepost.OrderOptions) (*x509.Certificate, *acme.Order) {
	t.Helper()
	o, err := post.NewOrder(ctx, cl, acme.DomainIDs(name), opts)
	require.NoError(t, err)
	ready := ready(ctx, t, cl, o)
	_, _, err = post.Finalize(ctx, cl, ready.FinalizeURL, csrFor(t, name))
	require.NoError(t, err)
	valid, err := cl.WaitOrder(ctx, o.URI)
	require.NoError(t, err)
	der, err := cl.FetchCert(ctx, valid.CertURL, false)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der[0])
	require.NoError(t, err)
	return leaf, valid
}

// ready accepts o's http-01 challenges (the server validates always) and
// waits until o is ready. An authorization already valid is skipped: Pebble
// reuses one for a name issued before now and then, even when told not to
// (acmetest's WithAuthzReusePercent), and refuses to accept its challenge
// again.
func ready(ctx context.Context, t *testing.T, cl *acme.Client, o *acme.Order) *acme.Order {
	t.Helper()
	for _, u := range o.AuthzURLs {
		a, err := cl.GetAuthorization(ctx, u)
		require.NoError(t, err)
		if a.Status == acme.StatusValid {
			continue
		}
		for _, c := range a.Challenges {
			if c.Type == "http-01" {
				_, err := cl.Accept(ctx, c)
				require.NoError(t, err)
			}
		}
	}
	o, err := cl.WaitOrder(ctx, o.URI)
	if err == nil || o.Status == acme.StatusReady {
		return o
	}
	require.NoError(t, err)
	return o
}

// NewOrder sends profile and replaces; the CA records both, and the
// replacement order is issued with the profile asked for.
func TestNewOrder_ProfileAndReplaces(t *testing.T) {
	ctx := testCtx(t)
	srv := acmetest.NewServer(t, acmetest.WithAlwaysValid(),
		acmetest.WithProfile("classic", acmetest.Profile{Description: "90 days"}),
		acmetest.WithProfile("shortlived", acmetest.Profile{Description: "6 days", ValidityPeriod: 6 * 24 * time.Hour}))
	cl := client(ctx, t, srv)
	var post acmepost.Client
	first, o1 := issue(ctx, t, &post, cl, "ari.example.test", acmepost.OrderOptions{Profile: "classic"})
	assert.Equal(t, acme.ProfileName("classic"), o1.Profile)
	id, err := acmeproto.CertID(first)
	require.NoError(t, err)

	second, o2 := issue(ctx, t, &post, cl, "ari.example.test", acmepost.OrderOptions{Profile: "shortlived", Replaces: id})
	assert.Equal(t, acme.ProfileName("shortlived"), o2.Profile)
	assert.Equal(t, 6*24*time.Hour, second.NotAfter.Sub(second.NotBefore).Round(time.Hour), "issued with the short-lived profile")
	recs := srv.NewOrders()
	require.Len(t, recs, 2)
	assert.Equal(t, "classic", recs[0].Profile)
	assert.Empty(t, recs[0].Replaces)
	assert.Equal(t, "shortlived", recs[1].Profile)
	assert.Equal(t, id, recs[1].Replaces, "the CA saw replaces")

	// A certificate is replaced once (RFC 9773 §5: alreadyReplaced).
	_, err = post.NewOrder(ctx, cl, acme.DomainIDs("ari.example.test"), acmepost.OrderOptions{Replaces: id})
	var ae *acme.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "urn:ietf:params:acme:error:alreadyReplaced", ae.ProblemType)
}

// A profile the directory does not list is refused before anything is
// sent, with a typed error naming the offered ones.
func TestNewOrder_UnknownProfile(t *testing.T) {
	ctx := testCtx(t)
	srv := acmetest.NewServer(t, acmetest.WithProfile("classic", acmetest.Profile{}), acmetest.WithProfile("shortlived", acmetest.Profile{}))
	cl := client(ctx, t, srv)
	var post acmepost.Client
	_, err := post.NewOrder(ctx, cl, acme.DomainIDs("x.example.test"), acmepost.OrderOptions{Profile: "tlsserver"})
	require.ErrorIs(t, err, acmeproto.ErrUnknownProfile)
	var pe *acmeproto.ProfileError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"classic", "shortlived"}, pe.Offered)
	assert.Equal(t, "tlsserver", pe.Profile)
	assert.Zero(t, srv.Requests(acmetest.EndpointNewOrder))
}

// RenewalInfo reads Pebble's window (about 2/3 into the validity), its
// Retry-After, and after a revocation at the CA a window in the past.
func TestRenewalInfo(t *testing.T) {
	ctx := testCtx(t)
	srv := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cl := client(ctx, t, srv)
	var post acmepost.Client
	leaf, _ := issue(ctx, t, &post, cl, "window.example.test", acmepost.OrderOptions{})
	id, err := acmeproto.CertID(leaf)
	require.NoError(t, err)

	ri, err := post.RenewalInfo(ctx, cl, id)
	require.NoError(t, err)
	ideal := leaf.NotAfter.Add(-leaf.NotAfter.Sub(leaf.NotBefore) / 3)
	assert.WithinDuration(t, ideal.Add(-24*time.Hour), ri.Start, time.Minute)
	assert.WithinDuration(t, ideal.Add(24*time.Hour), ri.End, time.Minute)
	assert.Equal(t, 6*time.Hour, ri.RetryAfter)

	require.NoError(t, srv.Revoke(leaf))
	ri, err = post.RenewalInfo(ctx, cl, id)
	require.NoError(t, err)
	assert.True(t, ri.End.Before(time.Now()), "a revoked certificate's window lies in the past: %v", ri.End)

	start := time.Now().Add(time.Hour).Truncate(time.Second)
	require.NoError(t, srv.SetRenewalWindow(leaf, start, start.Add(time.Hour), "https://status.example.test/incident"))
	ri, err = post.RenewalInfo(ctx, cl, id)
	require.NoError(t, err)
	assert.True(t, start.Equal(ri.Start))
	assert.Equal(t, "https://status.example.test/incident", ri.ExplanationURL)
	assert.Equal(t, 3, srv.Requests(acmetest.EndpointRenewalInfo), "one renewalInfo GET per look")
}

func TestRenewalInfo_NotOffered(t *testing.T) {
	ctx := testCtx(t)
	ca := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"newNonce":"x","newAccount":"x","newOrder":"x"}`))
	}))
	defer ca.Close()
	var post acmepost.Client
	_, err := post.RenewalInfo(ctx, &acme.Client{DirectoryURL: ca.URL, HTTPClient: ca.Client()}, "a.b")
	assert.True(t, errors.Is(err, acmepost.ErrNoRenewalInfo), "%v", err)
}
