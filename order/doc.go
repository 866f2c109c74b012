// Package order owns the Order resource and its reconciler: the ACME order
// of one CertificateRequest. The reconciler creates the ACME order (and
// records its URL before anything else), reads the authorizations, picks a
// solver per pending authorization and creates one Challenge for each,
// finalizes with the request's CSR once every authorization is valid,
// downloads the chain (choosing the issuer's preferredChain among the
// alternates), and deletes its Challenges once they are cleaned up.
//
// Each visit loads a snapshot (the Order, its issuer, its Challenges, the
// outcomes of earlier ACME calls recorded in its status, now) and a pure
// decision returns a reconcile.Plan with at most one ACME call as its
// Effect; reconcile.Execute writes the plan and performs the call, whose
// outcome is recorded in the status for the next decision (authorizations
// read are deferred, reconcile.Defer, to the write of that decision).
//
// Budget: one request that changes state per visit (the client retries
// nothing but a bad nonce); failures back off between visits, with the
// CA's problem in the status reason and an event; a 429 pauses the whole
// account (issuer.ACMEClients); the account's work in flight is bounded, and
// an Order that finds no slot looks again shortly instead of holding a
// worker.
//
// Replicas: newOrder and finalize run under Store claims named from the
// Order's UID. The intent to finalize is stored before the POST, so whoever
// sees it reads the order instead of finalizing again; a claim whose owner
// died expires and the next owner reads the order first. An Order whose
// Status.URL is set is continued with GetOrder, never re-created, so one
// Order object opens at most one ACME order. Each claim's lease covers the
// calls it guards, and an outcome the CA gave is stored even if the step's
// time ran out right after, so a slow CA cannot make replicas repeat a step.
// Under its claim, newOrder and finalize are taken only once each owner up
// the Order's chain was read from the Store itself (reconcile.Effect.
// ForOwners): another replica may have deleted the Certificate, and this
// one's watch not told it yet. This is best effort, not a guarantee: the
// check and the CA call are not atomic, so a Certificate deleted after the
// check still gets the step (window = one Store read plus the start of the
// CA call).
//
// Timeouts: an Order not valid within Options.Timeout fails, except once a
// finalize may have reached the CA (on record, or the CA says processing):
// then the ACME order is read under the finalize claim, a certificate the
// CA issued is downloaded, and the Order fails only when the CA says none
// will come, or at the hard cap Options.IssuingTimeout.
package order
