package metrics

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
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
// Issuer's directory URL (configured by the user, not by the CA). A CA
// that behaves may still spell that host otherwise in the URLs it hands
// out: with or without the scheme's default port (a configured
// "ca.example:443" against URLs built from the CA's own base URL), in lower
// case, or in punycode (Go sends the Host header in punycode, and Boulder
// and Pebble build their URLs from it). cert-manager names each spelling
// as it comes; so does certflow for the canonical one, with and without
// the port, and any other spelling of the same host is the configured one:
// at most three values, however many spellings the CA invents. Every other
// host, whatever URL the CA sent the client to, is "other".
type acmeHome struct {
	host string
	// canon is host in canonicalHost's form; port the default port of the
	// directory's scheme.
	canon, port string
}

func homeOf(directoryURL string) acmeHome {
	u, err := url.Parse(directoryURL)
	if err != nil || u.Host == "" {
		return acmeHome{}
	}
	port := "443"
	if u.Scheme == "http" {
		port = "80"
	}
	return acmeHome{host: u.Host, canon: canonicalHost(u.Host, port), port: port}
}

// label returns the host label of a request to host.
func (h acmeHome) label(host string) string {
	switch {
	case h.host == "":
		return otherLabel
	case host == h.host:
		return host
	case canonicalHost(host, h.port) != h.canon:
		return otherLabel
	case host == h.canon || host == h.canon+":"+h.port:
		return host
	}
	return h.host
}

// canonicalHost is host (a URL's host[:port]) in lower-case ASCII without
// defaultPort, so that spellings of one server compare equal.
func canonicalHost(host, defaultPort string) string {
	if ascii, err := httpguts.PunycodeHostPort(host); err == nil {
		host = ascii
	}
	host = strings.TrimSuffix(strings.ToLower(host), ":")
	return strings.TrimSuffix(host, ":"+defaultPort)
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
// labels above already bound them, but not tightly: a CA chooses the host,
// scheme and status of each of certflow's actions and methods, so about
// 5,000 tuples per CA in theory (a few dozen in practice), and every
// namespaced Issuer may name a CA of its own. Past the cap a new tuple is
// counted in acmeOverflowKey and in
// certflow_acme_client_request_series_overflow_total.
const maxACMESeries = 1000

// maxACMESeriesPerCA caps the tuples the transports of one CA (one
// directory host) add, so that a single misbehaving CA, which alone could
// reach maxACMESeries, cannot leave every other Issuer's new tuples to the
// overflow. A CA that behaves stays far below it: at most one tuple per
// action, method and status it actually answers.
const maxACMESeriesPerCA = 250

// acmeOverflowKey is the tuple requests past maxACMESeries are counted in.
var acmeOverflowKey = acmeKey{scheme: otherLabel, host: otherLabel, action: otherLabel, method: otherLabel, status: otherLabel}
