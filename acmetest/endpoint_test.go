package acmetest_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
)

// TestDirectoryMatchesEndpointPaths guards the copy of Pebble's unexported
// path constants: a request to each directory URL is counted under the
// expected endpoint.
func TestDirectoryMatchesEndpointPaths(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.DirectoryURL(), nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", "test")
	res, err := s.Client().Do(req)
	require.NoError(t, err)
	defer func() { _ = res.Body.Close() }()
	var dir map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&dir))
	assert.Equal(t, 1, s.Requests(acmetest.EndpointDirectory))

	want := map[string]acmetest.Endpoint{
		"newNonce":    acmetest.EndpointNewNonce,
		"newAccount":  acmetest.EndpointNewAccount,
		"newOrder":    acmetest.EndpointNewOrder,
		"revokeCert":  acmetest.EndpointRevokeCert,
		"keyChange":   acmetest.EndpointKeyChange,
		"renewalInfo": acmetest.EndpointRenewalInfo,
	}
	for key, ep := range want {
		raw, ok := dir[key].(string)
		require.True(t, ok, key)
		u, err := url.Parse(raw)
		require.NoError(t, err)
		before := s.Requests(ep)
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, raw, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", "test")
		res, err := s.Client().Do(req)
		require.NoError(t, err, u.Path)
		_ = res.Body.Close()
		// renewalInfo has no trailing slash in the directory; Pebble redirects
		// to it, so that one may count twice.
		assert.Greater(t, s.Requests(ep), before, "%s (%s)", key, u.Path)
	}
}

// TestIssuanceCountsEveryEndpoint checks the classification of the
// resource URLs a whole issuance uses.
func TestIssuanceCountsEveryEndpoint(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, t, s)
	_, _, err := issue(ctx, cl, []string{"count.example.test"}, anyChallenge)
	require.NoError(t, err)

	for _, ep := range []acmetest.Endpoint{
		acmetest.EndpointDirectory, acmetest.EndpointNewNonce, acmetest.EndpointNewAccount,
		acmetest.EndpointNewOrder, acmetest.EndpointAuthz, acmetest.EndpointChallenge,
		acmetest.EndpointOrder, acmetest.EndpointFinalize, acmetest.EndpointCertificate,
	} {
		assert.Positive(t, s.Requests(ep), ep)
	}
	assert.Equal(t, 1, s.Requests(acmetest.EndpointNewOrder))
	assert.Equal(t, 1, s.Requests(acmetest.EndpointFinalize))
	assert.Equal(t, 1, s.OrderCount())
	assert.Zero(t, s.Requests(acmetest.EndpointOther))
}

func TestManagementRoots(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlternateRoots(2), acmetest.WithChainLength(2))
	require.Equal(t, 3, s.NumRoots())

	for i := range 3 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/roots/"+string(rune('0'+i)), nil)
		require.NoError(t, err)
		res, err := s.Client().Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, string(s.RootPEM(i)), string(body))
		blk, _ := pem.Decode(s.RootPEM(i))
		root, err := x509.ParseCertificate(blk.Bytes)
		require.NoError(t, err)
		assert.True(t, root.IsCA)
		assert.NotNil(t, s.IntermediatePEM(i))
	}
	assert.Nil(t, s.RootPEM(3))
	assert.Nil(t, s.IntermediatePEM(3))
	assert.Zero(t, s.Requests(acmetest.EndpointOther), "management requests are not ACME requests")
}

// TestPostsPerPathCountsRequestsNotReads counts accepts and finalizes per
// challenge and order, leaving out the POST-as-GET polls of the same URLs.
func TestPostsPerPathCountsRequestsNotReads(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, t, s)
	_, _, err := issue(ctx, cl, []string{"posts.example.test"}, anyChallenge)
	require.NoError(t, err)

	for _, ep := range []acmetest.Endpoint{acmetest.EndpointChallenge, acmetest.EndpointFinalize, acmetest.EndpointNewOrder} {
		posts := s.PostsPerPath(ep)
		require.Len(t, posts, 1, ep)
		for path, n := range posts {
			assert.Equal(t, 1, n, "%s %s", ep, path)
		}
	}
	assert.Empty(t, s.PostsPerPath(acmetest.EndpointAuthz), "authorization reads are POST-as-GET")
	assert.Empty(t, s.PostsPerPath(acmetest.EndpointCertificate), "the download is POST-as-GET")
}
