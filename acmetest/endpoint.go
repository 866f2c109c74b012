package acmetest

import "strings"

// Endpoint names one ACME resource of the server, as RFC 8555 §7.1 calls it.
// Requests are classified by the URL path prefixes that Pebble v2.10.3's web
// front end registers (its path constants are unexported, so they are
// repeated here and checked against the directory by a test). The zero value
// matches no request.
type Endpoint string

// Endpoints that acmetest counts and can inject faults into.
const (
	EndpointDirectory   Endpoint = "directory"   // GET /dir
	EndpointNewNonce    Endpoint = "newNonce"    // HEAD/GET /nonce-plz
	EndpointNewAccount  Endpoint = "newAccount"  // POST /sign-me-up
	EndpointAccount     Endpoint = "account"     // POST /my-account/<id>
	EndpointNewOrder    Endpoint = "newOrder"    // POST /order-plz
	EndpointOrder       Endpoint = "order"       // POST-as-GET /my-order/<id>
	EndpointAuthz       Endpoint = "authz"       // POST /authZ/<id>
	EndpointChallenge   Endpoint = "challenge"   // POST /chalZ/<id>
	EndpointFinalize    Endpoint = "finalize"    // POST /finalize-order/<id>
	EndpointCertificate Endpoint = "certificate" // POST-as-GET /certZ/<id>
	EndpointRevokeCert  Endpoint = "revokeCert"  // POST /revoke-cert
	EndpointKeyChange   Endpoint = "keyChange"   // POST /rollover-account-key
	EndpointOrders      Endpoint = "orders"      // POST-as-GET /list-orderz/<id>
	EndpointRenewalInfo Endpoint = "renewalInfo" // GET /draft-ietf-acme-ari-03/renewalInfo/
	// EndpointOther is any path of the ACME handler that matches none of the above.
	EndpointOther Endpoint = "other"
)

// endpointRoutes lists Pebble's ACME paths. exact marks paths registered
// without a trailing slash: Go's ServeMux matches those exactly.
var endpointRoutes = [...]struct {
	path     string
	exact    bool
	endpoint Endpoint
}{
	{"/dir", true, EndpointDirectory},
	{"/nonce-plz", true, EndpointNewNonce},
	{"/sign-me-up", true, EndpointNewAccount},
	{"/my-account/", false, EndpointAccount},
	{"/order-plz", true, EndpointNewOrder},
	{"/my-order/", false, EndpointOrder},
	{"/finalize-order/", false, EndpointFinalize},
	{"/authZ/", false, EndpointAuthz},
	{"/chalZ/", false, EndpointChallenge},
	{"/certZ/", false, EndpointCertificate},
	{"/revoke-cert", true, EndpointRevokeCert},
	{"/rollover-account-key", true, EndpointKeyChange},
	{"/list-orderz/", false, EndpointOrders},
	{"/draft-ietf-acme-ari-03/renewalInfo", false, EndpointRenewalInfo},
}

// managementPrefixes are the paths of Pebble's management handler, served on
// the same listener as the ACME API. They are neither counted nor faulted.
var managementPrefixes = [...]string{
	"/roots/", "/root-keys/", "/intermediates/", "/intermediate-keys/",
	"/cert-status-by-serial/", "/set-renewal-info/",
}

// classify maps a request path to the endpoint it addresses.
func classify(path string) Endpoint {
	for _, r := range endpointRoutes {
		if r.exact && path == r.path || !r.exact && strings.HasPrefix(path, r.path) {
			return r.endpoint
		}
	}
	return EndpointOther
}

// isManagement reports whether path belongs to Pebble's management handler.
func isManagement(path string) bool {
	for _, p := range managementPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// valid reports whether e is one of the declared endpoints.
func (e Endpoint) valid() bool {
	if e == EndpointOther {
		return true
	}
	for _, r := range endpointRoutes {
		if r.endpoint == e {
			return true
		}
	}
	return false
}
