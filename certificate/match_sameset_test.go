package certificate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// sameSet compares as sets after f: order and repeats do not count, and
// sets past the stack's room compare as small ones do.
func TestSameSet_ComparesSets(t *testing.T) {
	many := func(n int, suffix string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strings.Repeat("a", i+1) + suffix
		}
		return out
	}
	rev := func(in []string) []string {
		out := make([]string, len(in))
		for i, v := range in {
			out[len(in)-1-i] = v
		}
		return out
	}
	for name, c := range map[string]struct {
		a, b []string
		f    func(string) string
		want bool
	}{
		"both empty":        {nil, []string{}, nil, true},
		"one empty":         {nil, []string{"a"}, nil, false},
		"order":             {[]string{"a", "b"}, []string{"b", "a"}, nil, true},
		"repeats":           {[]string{"a", "a", "b"}, []string{"b", "a"}, nil, true},
		"differ":            {[]string{"a", "c"}, []string{"a", "b"}, nil, false},
		"after f":           {[]string{"A.test"}, []string{"a.test."}, dnsKey, true},
		"past the stack":    {many(20, ""), rev(many(20, "")), nil, true},
		"past, one differs": {many(20, ""), append(many(19, ""), "z"), nil, false},
	} {
		assert.Equal(t, c.want, sameSet(c.a, c.b, c.f), name)
	}
}

// A Certificate's visit compares its request's sets with its spec's.
func TestSameSet_SmallSetsDoNotAllocate(t *testing.T) {
	a, b := []string{"b.test", "a.test"}, []string{"a.test", "b.test"}
	if n := testing.AllocsPerRun(100, func() { sameSet(a, b, nil) }); n != 0 {
		t.Errorf("sameSet allocates %v times", n)
	}
}
