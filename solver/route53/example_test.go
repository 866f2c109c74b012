package route53_test

import (
	"context"
	"fmt"
	"time"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/route53"
	"github.com/certflow/certflow/solver/route53/route53test"
)

// A Provider builds a Solver from an issuer's route53 configuration; here it
// talks to the in-process stand-in instead of AWS.
func ExampleProvider() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := route53test.Start(route53test.Zone{Name: "example.com"})
	defer srv.Close()

	p := &route53.Provider{BaseEndpoint: srv.URL(), PollInterval: time.Millisecond}
	cfg := solver.DNS01Config{Route53: &solver.Route53Config{
		Region:                   "us-east-1",
		AccessKeyID:              "AKIDEXAMPLE",
		SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "route53", Key: "secret-access-key"},
	}}
	s, err := p.NewSolver(ctx, cfg, "default", memSecrets{"default/route53/secret-access-key": "example-secret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ch := solver.Challenge{Type: solver.DNS01, Identifier: "example.com", KeyAuthorization: "token.thumbprint"}
	if err := s.Present(ctx, ch); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(srv.Records("_acme-challenge.example.com"))
	if err := s.CleanUp(ctx, ch); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(srv.Records("_acme-challenge.example.com"))
	// Output:
	// [61rBZ_4knHblO0MNoxFsXZ_eTFUHum0B6IVRbhvUn5I]
	// []
}
