// Package order owns the Order resource and its reconciler: the ACME order
// of one CertificateRequest. The reconciler creates the ACME order (and
// records its URL before anything else), reads the authorizations, picks a
// solver per pending authorization and creates one Challenge for each,
// finalizes with the request's CSR once every authorization is valid,
// downloads the chain (choosing the issuer's preferredChain among the
// alternates), and deletes its Challenges once they are cleaned up.
//
// Crash safety: an Order whose Status.URL is set is continued with GetOrder,
// never re-created, so one Order object opens at most one ACME order.
package order
