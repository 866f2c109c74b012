// Package acmeproto is the one home of certflow's ACME vocabulary (RFC 8555):
// the statuses of orders, authorizations and challenges, what an ACME
// failure means for the next step (Classify), Retry-After, and the
// identifier set an order for a CSR must carry.
package acmeproto
