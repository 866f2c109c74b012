package e2e

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
)

// certflow sends no ACME request a minimal client would not send. For an
// account, RFC 8555 needs:
//
//	GET directory, HEAD newNonce (the first nonce), POST newAccount
//
// once: a key generated just now is registered without looking for its
// account first. For a certificate for one name validated with HTTP-01:
//
//	POST newOrder                    1
//	POST-as-GET authorization        1 per identifier (the challenge to accept)
//	POST challenge (accept)          1
//	POST-as-GET authorization        k ≥ 1 polls until valid
//	POST finalize                    1, without asking for the order first:
//	                                 every authorization valid makes it ready
//	POST-as-GET order                m polls until valid (0 if finalize says valid)
//	POST-as-GET certificate          1
//
// with one more HEAD newNonce for the whole Manager (the signed-request
// pool of newOrder and finalize; every answer refills it), one more GET
// directory for the whole Manager (its renewalInfo URL and profiles, which
// x/crypto/acme does not expose). Nothing else: the CA's renewal window
// (GET renewalInfo, RFC 9773) is first asked for one check interval after
// issuance (certificate.firstARICheck), not right after it.
//
// Polls depend on timing, so they are bounded instead: they double from
// 5 ms (acmeproto.Poll), so a wait of t costs at most 2 + log2(t/5ms) looks.
// The first pause is learned (acmeproto.FirstPoll) and starts at 5 ms:
// over these certificates at most two first looks hit before the last,
// and a hit shrinks it by about 0.92, so it is still about 4.2 ms there,
// which the bound's one look of slack covers. More certificates would need a lower base.
func TestACME_RequestsPerCertificateAreTheProtocolMinimum(t *testing.T) {
	const certs = 3
	h := startACME(t, acmeSetup{})
	iss := h.acme.Issuer("default", "acme")
	require.NoError(t, h.m.Apply(h.ctx, iss))
	waitFor(h, meta.RefOf(iss), "issuer Ready",
		func(i *issuer.Issuer) bool { return i.Status.Conditions.IsTrue(meta.ConditionReady) })

	account := endpoints(h.acme.RequestLog())
	assert.Equal(t, []acmetest.Endpoint{acmetest.EndpointDirectory, acmetest.EndpointNewNonce, acmetest.EndpointNewAccount},
		account, "an account costs three requests")

	for i := range certs {
		name := fmt.Sprintf("min-%d", i)
		h.issue(nil, testrig.ACMECertificate("default", name, "acme", name+".example.test"))
	}
	log := h.acme.RequestLog()[len(account):]
	t.Logf("requests of %d certificates: %v", certs, endpoints(log))

	var perCert [][]acmetest.Request
	nonces, dirs, renewalInfos := 0, 0, 0
	for _, r := range log {
		switch {
		case r.Endpoint == acmetest.EndpointNewNonce:
			nonces++
		case r.Endpoint == acmetest.EndpointDirectory:
			dirs++
		case r.Endpoint == acmetest.EndpointRenewalInfo:
			renewalInfos++
		case r.Endpoint == acmetest.EndpointNewOrder:
			perCert = append(perCert, []acmetest.Request{r})
		case len(perCert) == 0:
			t.Fatalf("%s before any newOrder", r.Endpoint)
		default:
			perCert[len(perCert)-1] = append(perCert[len(perCert)-1], r)
		}
	}
	assert.LessOrEqual(t, nonces, 1, "one nonce for the signed-request pool, then answers refill it")
	assert.LessOrEqual(t, dirs, 1, "the directory is read once more, for what x/crypto/acme does not expose")
	assert.Zero(t, renewalInfos, "no renewalInfo right after issuance")
	require.Len(t, perCert, certs, "one newOrder per certificate")
	for i, reqs := range perCert {
		checkMinimalIssuance(t, i, reqs)
	}
}

// checkMinimalIssuance checks that reqs, the requests of one certificate
// in the order the CA received them, are newOrder, authz, challenge,
// authz×k, finalize, order×m, certificate, with k and m within what
// doubling polls from acmeproto.DefaultFirstPoll allow for the time they
// took.
func checkMinimalIssuance(t *testing.T, i int, reqs []acmetest.Request) {
	t.Helper()
	got := endpoints(reqs)
	next := 0
	take := func(e acmetest.Endpoint) []acmetest.Request {
		from := next
		for next < len(reqs) && reqs[next].Endpoint == e {
			next++
		}
		return reqs[from:next]
	}
	one := func(e acmetest.Endpoint) acmetest.Request {
		run := take(e)
		require.Len(t, run, 1, "certificate %d: one %s in %v", i, e, got)
		return run[0]
	}
	one(acmetest.EndpointNewOrder)
	authz := take(acmetest.EndpointAuthz)
	require.Len(t, authz, 1, "certificate %d: the authorization is read once before the accept: %v", i, got)
	accept := one(acmetest.EndpointChallenge)
	polls := take(acmetest.EndpointAuthz)
	require.NotEmpty(t, polls, "certificate %d: the authorization is polled after the accept: %v", i, got)
	finalize := one(acmetest.EndpointFinalize)
	orderPolls := take(acmetest.EndpointOrder)
	download := one(acmetest.EndpointCertificate)
	require.Equal(t, len(reqs), next, "certificate %d: nothing else: %v", i, got)

	assert.LessOrEqual(t, len(polls), maxPolls(polls[len(polls)-1].At.Sub(accept.At)),
		"certificate %d: authorization polls double (%d polls in %v)", i, len(polls), polls[len(polls)-1].At.Sub(accept.At))
	assert.LessOrEqual(t, len(orderPolls), maxPolls(download.At.Sub(finalize.At)),
		"certificate %d: order polls double (%d polls in %v)", i, len(orderPolls), download.At.Sub(finalize.At))
}

// maxPolls is how many looks doubling pauses from DefaultFirstPoll take at
// most to cover elapsed, plus the first.
func maxPolls(elapsed time.Duration) int {
	return 2 + int(math.Ceil(math.Log2(max(1, float64(elapsed)/float64(acmeproto.DefaultFirstPoll)))))
}

func endpoints(reqs []acmetest.Request) []acmetest.Endpoint {
	out := make([]acmetest.Endpoint, len(reqs))
	for i, r := range reqs {
		out[i] = r.Endpoint
	}
	return out
}
