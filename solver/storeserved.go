package solver

// StoreServed is an optional ability of a solver whose Present and CleanUp
// change nothing outside the Store: the Manager answers the CA from the
// Challenge object itself (HTTP01Solver, TLSALPN01Solver). The challenge
// reconciler then records no intent before Present and takes no claim
// around Present and CleanUp: a crash between the call and the write of its
// outcome leaves nothing to undo, and replicas that both make the call
// change nothing but the Challenge, which they write compare-and-swap.
type StoreServed interface {
	ServedFromStore()
}

// IsStoreServed reports whether s is StoreServed, or wraps (with a method
// Unwrap() Solver) a solver that is.
func IsStoreServed(s Solver) bool {
	for s != nil {
		if _, ok := s.(StoreServed); ok {
			return true
		}
		u, ok := s.(interface{ Unwrap() Solver })
		if !ok {
			return false
		}
		s = u.Unwrap()
	}
	return false
}
