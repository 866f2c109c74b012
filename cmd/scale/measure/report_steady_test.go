package measure

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A wait for the steady state that gave up (-settle-max) still measures
// the second window: its rows must say it is not steady, or a window the
// scavenger was still returning pages in reads as the steady cost.
func TestPrint_SteadyWindowNamedOnlyWhenSteady(t *testing.T) {
	for _, steady := range []bool{true, false} {
		r := &Report{Idle: &IdleReport{}, Settle: &SettleReport{Steady: steady}, Steady: &IdleReport{}}
		var out bytes.Buffer
		r.Print(&out)
		assert.Equal(t, steady, bytes.Contains(out.Bytes(), []byte("idle steady")), "steady=%v:\n%s", steady, out.String())
		assert.Equal(t, !steady, bytes.Contains(out.Bytes(), []byte("NOT steady")), "steady=%v:\n%s", steady, out.String())
	}
}
