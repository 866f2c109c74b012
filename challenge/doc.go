// Package challenge owns the Challenge resource and its reconciler: present
// the answer through a solver, mark it presented, self-check until the CA
// would see it, accept, wait for the authorization at the CA's pace, and
// clean up as soon as the challenge is final — also when it failed.
//
// A visit loads a snapshot (the Challenge, whose status records the outcome
// of every earlier effect; whether its Order still wants it; whether its
// solver can be built; Now) and a pure decision (decide) returns a
// reconcile.Plan: the status to write, events, and at most one effect —
// record the DNS-01 record name, Present, self-check, accept, get the
// authorization, or CleanUp. reconcile.Execute writes the plan, then
// performs the effect, which records its outcome in status for the next
// decision (a passed self-check, an authorization unchanged, or the CA's
// verdict on a challenge whose solver is solver.StoreServed, is not
// written on its own: reconcile.Defer leaves it to the next write — for
// the verdict, the clean-up's). The looks at the authorization are timed
// from the CA's answer to the accept: its Retry-After, else a first pause
// that doubles (acmeproto.Poll).
// Nothing the CA or a DNS provider sees happens twice across
// replicas sharing a Store:
//
//   - Status.Processing (the intent to present) is written before Present
//     and Status.Presented right after it, before the self-check, so a
//     process killed at any point still cleans up after a restart.
//   - Present and CleanUp are claimed: a DNS-01 challenge under the Store
//     lease "dns01:<record name>" (so an apex and its wildcard, which share
//     the TXT RRset, never interleave their updates, on any replica), other
//     types under "challenge:<UID>:present".
//   - Status.Accepting (the intent to accept) is written before the accept
//     POST, which runs under the claim "challenge:<UID>:accept". The first
//     self-check of an HTTP-01 or TLS-ALPN-01 answer runs beside taking
//     that claim and checking the owners, and the intent is written once
//     it passed, under the claim (checkThenAccept). A replica
//     that finds the intent without an outcome (the POST may have been sent
//     by a crashed or slower owner) reads the authorization and accepts
//     only if the CA still shows the challenge pending.
//   - No accept is sent once an owner up the chain (the Order, its
//     request, their Certificate) is gone from the Store, read afresh under
//     the claim: another replica may have deleted it before this one's
//     watch told it (reconcile.Effect.ForOwners, Deps.Owners). A first
//     self-check slower than the time that check is trusted for has the
//     owners read again before the intent (checkThenAccept).
//   - A Present that keeps failing (a bad TSIG key, a provider that does not
//     exist) is a failed attempt each time; after Options.PresentAttempts
//     the challenge fails with the provider's reason, well before the
//     Order's timeout.
//
// ACME failures are read with acmeproto.Classify: a rate limit postpones
// the next step to the CA's Retry-After, a refusal fails the challenge,
// anything else is retried with backoff. Every request to the CA goes
// through one function (Reconciler.acme), where per-account pacing applies.
//
// A Challenge may be deleted only once SafeToDelete reports true (the order
// reconciler deletes the Challenges of a valid Order that way); one whose
// Order was deleted or failed before the CA was asked to validate is
// abandoned and cleaned up at once.
//
// The Manager serves HTTP-01 and TLS-ALPN-01 answers for every Challenge for
// which Serving reports true; the built-in solvers for those types
// (solver.HTTP01Solver, solver.TLSALPN01Solver) only self-check.
package challenge
