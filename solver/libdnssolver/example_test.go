package libdnssolver_test

import (
	"context"
	"fmt"
	"time"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/libdnssolver"
	"github.com/certflow/certflow/solver/libdnssolver/libdnstest"
)

// Any libdns provider becomes a Solver; libdnstest stands in for one here.
func ExampleNew() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dns := libdnstest.New("example.com.")
	s, err := libdnssolver.New(libdnssolver.Config{Provider: dns, Zone: "example.com."})
	if err != nil {
		fmt.Println(err)
		return
	}
	apex := solver.Challenge{Type: solver.DNS01, Identifier: "example.com", KeyAuthorization: "a.thumb"}
	wild := solver.Challenge{Type: solver.DNS01, Identifier: "example.com", Wildcard: true, KeyAuthorization: "b.thumb"}
	for _, ch := range []solver.Challenge{apex, wild} {
		if err := s.Present(ctx, ch); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(len(dns.TXT("_acme-challenge.example.com")))
	if err := s.CleanUp(ctx, apex); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dns.TXT("_acme-challenge.example.com")[0] == wild.DNS01Value())
	// Output:
	// 2
	// true
}
