package rfc2136_test

import (
	"context"
	"errors"
	"log"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/dns01"
	"github.com/certflow/certflow/solver/rfc2136"
)

func ExampleNew() {
	checker, err := dns01.New(dns01.Config{Resolvers: []string{"192.0.2.53:53"}})
	if err != nil {
		log.Fatal(err)
	}
	s, err := rfc2136.New(rfc2136.Config{
		Nameserver:  "192.0.2.1:53",
		TSIGKeyName: "acme-key",
		TSIGSecret:  "c2VjcmV0IGZyb20geW91ciB0c2lnLWtleWdlbiBmaWxl", // the key file's base64
		Checker:     checker,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	ch := solver.Challenge{Type: solver.DNS01, Identifier: "example.com", KeyAuthorization: "token.thumbprint"}
	switch err := s.Present(ctx, ch); {
	case errors.Is(err, rfc2136.ErrBadSignature):
		log.Print("the TSIG secret does not match the server's")
	case errors.Is(err, rfc2136.ErrBadKey):
		log.Print("the server does not know this key name")
	case err != nil:
		log.Print(err)
	}
	defer s.CleanUp(ctx, ch)
}
