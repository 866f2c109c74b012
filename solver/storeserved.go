package solver

// StoreServed is an optional ability of a solver whose Present and CleanUp
// change nothing outside the Store: the Manager answers the CA from the
// Challenge object itself (HTTP01Solver, TLSALPN01Solver). The challenge
// reconciler then records no intent before Present and takes no claim
// around Present and CleanUp: a crash between the call and the write of its
// outcome leaves nothing to undo, and replicas that both make the call
// change nothing but the Challenge, which they write compare-and-swap.
//
// A wrapper declares it only for itself: one around HTTP01Solver that also
// opens a port or edits a load balancer is not StoreServed, and gets its
// intent and claims, even though what it wraps is.
type StoreServed interface {
	ServedFromStore()
}

// IsStoreServed reports whether s itself is StoreServed. It does not look
// through wrappers (an Unwrap() Solver method): what a wrapper does around
// the solver it wraps may change the world outside the Store.
func IsStoreServed(s Solver) bool {
	_, ok := s.(StoreServed)
	return ok
}
