package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmepost"
)

// registeredBenchClient returns an x/crypto/acme client of a new account
// registered at rig's CA, as the bare loops use.
func registeredBenchClient(ctx context.Context, b *testing.B, rig *benchCA) *acme.Client {
	b.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	cl := &acme.Client{Key: key, DirectoryURL: rig.directory, HTTPClient: rig.client}
	if _, err := cl.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
		rig.fail(b, err)
	}
	return cl
}

// benchBare runs a bare loop finishing with finalize, naming its
// certificates with prefix.
func benchBare(b *testing.B, rig *benchCA, shape issuanceShape, prefix string, finalize bareFinalizer) float64 {
	ctx, cancel := rig.lifetime(b.N)
	defer cancel()
	cl := registeredBenchClient(ctx, b, rig)
	post := &acmepost.Client{}
	rig.counter.take()
	rig.probeReset()
	b.ResetTimer()
	start := rig.startClock()
	for i := 0; i < b.N; i++ {
		err := rig.round(ctx, shape, func(ctx context.Context, j int) error {
			defer rig.probeSpan(fmt.Sprintf("%s%d-%d", prefix, i, j), time.Now())
			defer burnCPU(rig.burn)
			return bareIssue(ctx, cl, post, fmt.Sprintf("%s%d-%d.bench.test", prefix, i, j), rig.http01, finalize)
		})
		if err != nil {
			rig.fail(b, err)
		}
	}
	rate := rig.report(b, b.N*shape.certs, start)
	rig.probeReport(b, b.N*shape.certs)
	return rate
}

// bareFinalizer finalizes the ready order o with csr and downloads the
// certificate.
type bareFinalizer func(ctx context.Context, cl *acme.Client, post *acmepost.Client, o *acme.Order, csr []byte) error

// finalizeXCrypto is x/crypto's way: CreateCertFromOrder.
func finalizeXCrypto(ctx context.Context, cl *acme.Client, _ *acmepost.Client, o *acme.Order, csr []byte) error {
	_, _, err := cl.CreateCertFromOrder(ctx, o, csr, true)
	return err
}

// finalizeFloor finalizes, looks at the order at once, then every
// bareOrderPoll until it is valid, and downloads the certificate.
func finalizeFloor(ctx context.Context, cl *acme.Client, post *acmepost.Client, o *acme.Order, csr []byte) error {
	url := o.URI
	o, _, err := post.Finalize(ctx, cl, o.FinalizeURL, csr)
	if err != nil {
		return err
	}
	if o.Status != acme.StatusValid {
		if o, err = cl.GetOrder(ctx, url); err != nil {
			return err
		}
	}
	if o, err = pollOrder(ctx, cl, url, o, acme.StatusValid); err != nil {
		return err
	}
	_, err = cl.FetchCert(ctx, o.CertURL, true)
	return err
}

// bareIssue issues one certificate for name with x/crypto/acme: newOrder,
// each authorization, accept its http-01 challenge (served by tokens),
// poll the order every bareOrderPoll until ready, then finalize.
func bareIssue(ctx context.Context, cl *acme.Client, post *acmepost.Client, name string, tokens *http01Mux, finalize bareFinalizer) error {
	o, err := cl.AuthorizeOrder(ctx, acme.DomainIDs(name))
	if err != nil {
		return err
	}
	for _, u := range o.AuthzURLs {
		a, err := cl.GetAuthorization(ctx, u)
		if err != nil {
			return err
		}
		if a.Status == acme.StatusValid {
			continue
		}
		for _, c := range a.Challenges {
			if c.Type != "http-01" {
				continue
			}
			ka, err := cl.HTTP01ChallengeResponse(c.Token)
			if err != nil {
				return err
			}
			tokens.put(c.Token, ka)
			defer tokens.remove(c.Token)
			if _, err := cl.Accept(ctx, c); err != nil {
				return err
			}
		}
	}
	if o, err = pollOrder(ctx, cl, o.URI, o, acme.StatusReady); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{name}}, key)
	if err != nil {
		return err
	}
	return finalize(ctx, cl, post, o, csr)
}

// pollOrder reads the order at url every bareOrderPoll until it has status
// want, and fails if it becomes invalid.
func pollOrder(ctx context.Context, cl *acme.Client, url string, o *acme.Order, want string) (*acme.Order, error) {
	for o.Status != want {
		if o.Status == acme.StatusInvalid {
			return nil, fmt.Errorf("order %s invalid: %v", url, o.Error)
		}
		t := time.NewTimer(bareOrderPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		var err error
		if o, err = cl.GetOrder(ctx, url); err != nil {
			return nil, err
		}
	}
	return o, nil
}
