// Package challenge owns the Challenge resource and its reconciler: present
// the answer through a solver, mark it presented, self-check until the CA
// would see it, accept, wait for the authorization at the CA's pace, and
// clean up as soon as the challenge is final — also when it failed.
//
// Crash safety: Status.Processing is written before the solver is called, so
// a process killed during Present still cleans up after a restart; a
// Challenge may be deleted only once SafeToDelete reports true.
package challenge
