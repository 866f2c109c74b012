package dns01_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/solver/dns01"
)

func ExampleNormalize() {
	for _, in := range []string{"Example.COM", "*.example.com.", "bücher.example", "a..b"} {
		out, err := dns01.Normalize(in)
		fmt.Printf("%q %q %v\n", in, out, errors.Is(err, dns01.ErrInvalidName))
	}
	// Output:
	// "Example.COM" "example.com." false
	// "*.example.com." "*.example.com." false
	// "bücher.example" "xn--bcher-kva.example." false
	// "a..b" "" true
}

func ExampleParseIdentifier() {
	id, _ := dns01.ParseIdentifier("*.Example.com")
	fmt.Println(id.Name, id.Wildcard, id.ChallengeName())
	// Output: example.com true _acme-challenge.example.com.
}

// A checker needs explicit resolvers; Wait polls until every authoritative
// nameserver serves the value, and its error says which one does not.
func ExampleChecker_Wait() {
	c, err := dns01.New(dns01.Config{Resolvers: []string{"192.0.2.53:53"}, Timeout: time.Minute})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	name, _ := c.EffectiveName(ctx, "_acme-challenge.example.com.") // cnameStrategy Follow
	if err := c.Wait(ctx, name, "token-digest"); err != nil {
		var pe *dns01.PropagationError
		if errors.As(err, &pe) {
			fmt.Println(pe) // e.g. "… not propagated: ns2.example.com (192.0.2.2:53): NXDOMAIN; …"
		}
	}
}
