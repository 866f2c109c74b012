package solver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/solver"
)

// portOpener wraps the built-in HTTP-01 solver and does something of its
// own around it (opens a port, edits a load balancer): state outside the
// Store that a crash must not leave unrecorded.
// Its Present and CleanUp would do that, then call the wrapped solver's.
type portOpener struct{ solver.Solver }

func (p portOpener) Unwrap() solver.Solver { return p.Solver }

// declared wraps a solver and declares, for itself, that it is served from
// the Store, as the Manager's metrics wrapper does when what it wraps is.
type declared struct{ solver.Solver }

func (declared) ServedFromStore() {}

func TestIsStoreServed(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    solver.Solver
		want bool
	}{
		{"HTTP01Solver", solver.HTTP01Solver{}, true},
		{"TLSALPN01Solver", solver.TLSALPN01Solver{}, true},
		{"a user's wrapper with Unwrap around HTTP01Solver", portOpener{solver.HTTP01Solver{}}, false},
		{"a wrapper declaring it itself", declared{portOpener{solver.HTTP01Solver{}}}, true},
		{"nil", nil, false},
	} {
		assert.Equal(t, tc.want, solver.IsStoreServed(tc.s), tc.name)
	}
}
