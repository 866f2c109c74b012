package certflow

import (
	"context"
	"fmt"
	"strings"

	"github.com/certflow/certflow/internal/dnsname"
)

// AllowNames returns an OnDemandConfig.Allow policy allowing the names
// patterns list: a name ("shop.example.com") allows itself, a wildcard
// ("*.example.com") allows every name one label below its parent, as a
// wildcard certificate would cover it ("a.example.com", not
// "example.com" nor "a.b.example.com"). Case and a trailing dot are
// ignored. Every other name is denied.
func AllowNames(patterns ...string) func(ctx context.Context, name string) error {
	exact := map[string]bool{}
	parents := map[string]bool{}
	for _, p := range patterns {
		p = dnsname.Fold(p)
		if parent, ok := strings.CutPrefix(p, "*."); ok {
			parents[parent] = true
		} else {
			exact[p] = true
		}
	}
	return func(_ context.Context, name string) error {
		name = dnsname.Fold(name)
		if exact[name] {
			return nil
		}
		if i := strings.IndexByte(name, '.'); i > 0 && parents[name[i+1:]] {
			return nil
		}
		return fmt.Errorf("%q matches none of %q", name, patterns)
	}
}
