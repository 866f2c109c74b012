package metrics

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/acmeproto"
)

// Every label a CA chooses is bounded, but their product is not small:
// one misbehaving CA, driven through all of certflow's actions, can reach
// more tuples than the cap. It must not take the cap from the others: a
// CA that behaves, asked later, still gets its series by name.
func TestACMETransport_OneCACannotTakeTheCap(t *testing.T) {
	r := newRig(t)
	bad := r.m.ACMETransport(statusTransport{}, "https://bad.example.test/dir")
	actions := []acmeproto.Action{acmeproto.ActionAuthorizeOrder, acmeproto.ActionGetOrder,
		acmeproto.ActionGetAuthorization, acmeproto.ActionAcceptChallenge, acmeproto.ActionCreateOrderCert,
		acmeproto.ActionFetchCert, acmeproto.ActionListCertAlternates, acmeproto.ActionRegisterAccount,
		acmeproto.ActionGetRegistration, acmeproto.ActionUpdateRegistration, acmeproto.ActionGetRenewalInfo,
		acmeproto.ActionRevokeCert, acmeproto.ActionAccountKeyRollover, acmeproto.ActionDeactivateReg,
		acmeproto.ActionRevokeAuthorization, acmeproto.ActionUnnamed}
	// Each a label of its own: the known codes, the classes, "other".
	codes := []int{200, 201, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406, 408, 409,
		413, 415, 429, 500, 502, 503, 504, 102, 299, 399, 418, 599, 999}
	send := func(rt http.RoundTripper, a acmeproto.Action, method, url string) {
		t.Helper()
		req, err := http.NewRequestWithContext(acmeproto.WithAction(r.ctx, a), method, url, nil)
		require.NoError(t, err)
		res, err := rt.RoundTrip(req)
		require.NoError(t, err)
		_ = res.Body.Close()
	}
	var sent float64
	for _, a := range actions {
		for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
			for _, code := range codes {
				for _, host := range []string{"bad.example.test", "elsewhere.example.test"} {
					send(bad, a, method, fmt.Sprintf("https://%s/%d", host, code))
					sent++
				}
			}
		}
	}
	require.Greater(t, sent, float64(2*maxACMESeries), "enough tuples to fill the cap")

	good := r.m.ACMETransport(statusTransport{}, "https://good.example.test/dir")
	send(good, acmeproto.ActionGetOrder, http.MethodPost, "https://good.example.test/200")

	got := gather(t, r.m)
	count := got["certmanager_http_acme_client_request_count"].samples
	assert.Equal(t, float64(1),
		count[`{action="get_order",host="good.example.test",method="POST",scheme="https",status="200"}`],
		"the CA that behaves is named")
	assert.Equal(t, maxACMESeriesPerCA+2, len(count), "the misbehaving CA's share, the all-\"other\" tuple and the good one")
	var total float64
	for _, n := range count {
		total += n
	}
	assert.Equal(t, sent+1, total, "every request counted")
	assert.Equal(t, sent-maxACMESeriesPerCA, got["certflow_acme_client_request_series_overflow_total"].samples["{}"])
}
