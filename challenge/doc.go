// Package challenge owns the Challenge resource and its reconciler: present
// the answer through a solver, mark it presented, self-check until the CA
// would see it, accept, wait for the authorization at the CA's pace, and
// clean up as soon as the challenge is final — also when it failed.
//
// Crash safety: Status.Processing is written before the solver's Present is
// called and Status.Presented right after it, before the self-check, so a
// process killed at any point still cleans up after a restart. A Challenge
// may be deleted only once SafeToDelete reports true (the order reconciler
// deletes the Challenges of a valid Order that way); one whose Order was
// deleted or failed before the CA was asked to validate is abandoned and
// cleaned up at once. DNS-01 Present and CleanUp run under the Store lock
// "dns01:<record name>", so an apex and its wildcard, on any replica, never
// interleave their updates of the shared TXT RRset.
//
// The Manager serves HTTP-01 and TLS-ALPN-01 answers for every Challenge for
// which Serving reports true; the built-in solvers for those types
// (solver.HTTP01Solver, solver.TLSALPN01Solver) only self-check.
package challenge
