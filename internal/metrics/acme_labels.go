package metrics

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The ACME client metrics take their labels from what the CA controls: the
// host and scheme of every URL it hands out (directory, Location headers,
// links, redirects) and the status code of every answer. A hostile or
// broken CA could otherwise mint a new series per request and grow the
// Manager's memory and every scrape without bound. Each label is therefore
// collapsed onto a set fixed by certflow or by the Issuers' configuration,
// and a hard cap (maxACMESeries) stops whatever still gets through.

// otherLabel is the value of a label the CA chose outside its fixed set.
const otherLabel = "other"

// acmeHome is the one host a transport reports by name: the host of its
// Issuer's directory URL (configured by the user, not by the CA). Every
// other host, whatever URL the CA sent the client to, is "other".
type acmeHome struct{ host string }

func homeOf(directoryURL string) acmeHome {
	u, err := url.Parse(directoryURL)
	if err != nil {
		return acmeHome{}
	}
	return acmeHome{host: u.Host}
}

// label returns the host label of a request to host.
func (h acmeHome) label(host string) string {
	if h.host != "" && (host == h.host || strings.EqualFold(host, h.host)) {
		return h.host
	}
	return otherLabel
}

func schemeLabel(s string) string {
	switch s {
	case "https", "http":
		return s
	}
	return otherLabel
}

func methodLabel(m string) string {
	switch m {
	case http.MethodPost, http.MethodGet, http.MethodHead:
		return m
	}
	return otherLabel
}

// noAnswer is cert-manager's status for a request that got no answer.
const noAnswer = "999"

// statusLabel keeps the codes an ACME CA, and the proxies in front of one,
// answer (RFC 8555 §6.7 and common HTTP practice); any other code of
// 100–599 becomes its class ("4xx", so status=~"4.." still matches), and
// any code outside HTTP's range (a CA may answer 000 or 999) is "other",
// so that it is never taken for certflow's own 999.
func statusLabel(code int) string {
	switch code {
	case 200, 201, 204,
		301, 302, 303, 304, 307, 308,
		400, 401, 403, 404, 405, 406, 408, 409, 413, 415, 429,
		500, 502, 503, 504:
		return strconv.Itoa(code)
	}
	if code >= 100 && code <= 599 {
		return strconv.Itoa(code/100) + "xx"
	}
	return otherLabel
}

// maxACMESeries caps the label tuples of the ACME client metrics. The
// labels above already bound them (about 5,000 tuples per configured host
// in theory, a few dozen in practice), but every namespaced Issuer may name
// a host of its own; past the cap a new tuple is counted in acmeOverflowKey
// and in certflow_acme_client_request_series_overflow_total.
const maxACMESeries = 1000

// acmeOverflowKey is the tuple requests past maxACMESeries are counted in.
var acmeOverflowKey = acmeKey{scheme: otherLabel, host: otherLabel, action: otherLabel, method: otherLabel, status: otherLabel}
