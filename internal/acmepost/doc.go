// Package acmepost sends the ACME requests golang.org/x/crypto/acme cannot
// send as certflow needs them: newOrder with the profile and the ARI
// replaces field (RFC 9773 §5; x/crypto has no replaces), the
// unauthenticated renewalInfo GET (RFC 9773 §4.2), and finalize. x/crypto's CreateCertFromOrder
// and CreateOrderCert POST the CSR and then wait for the certificate in
// WaitOrder, which sleeps a whole second whenever the order is still
// processing (and CreateOrderCert needs a Location header Pebble does not
// send). Finalize here POSTs the CSR, returns the order as the CA answered
// it, with the CA's Retry-After, and leaves the polling to the caller's
// policy (acmeproto.Poll).
//
// Requests are signed JWS (RFC 8555 §6.2) with the client's account key
// and key ID, sent through the client's HTTP client (so its transport, TLS
// roots and rate-limit gate apply), with nonces from a pool that each
// answer refills: after the first request to a server, no newNonce request
// is needed while requests keep coming. A badNonce answer is retried at
// once with the fresh nonce it carries, as RFC 8555 §6.5 asks; nothing
// else is retried. Failures are *acme.Error values, so acmeproto.Classify
// reads them like x/crypto's.
package acmepost
