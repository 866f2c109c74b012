// Package acmeproto is the one home of certflow's ACME vocabulary (RFC 8555):
// the statuses of orders, authorizations and challenges, what an ACME
// failure means for the next step (Classify), Retry-After, how often to
// look at a resource that has not moved on (Poll), and the identifier set
// an order for a CSR must carry.
package acmeproto
