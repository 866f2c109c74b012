package replicasuite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
)

// IssuedOnce runs cfg.Replicas replicas that all apply the same ACME
// Issuer and Certificates — perZone names of each challenge type, and one
// certificate for a DNS-01 wildcard with its apex, whose two values share
// one TXT record — and checks what replicas sharing a Store promise:
//   - every name is ordered, finalized and issued exactly once at the CA,
//     and no challenge is accepted twice;
//   - every HTTP-01 and TLS-ALPN-01 validation is answered by a replica
//     other than the one that presented the challenge;
//   - every DNS-01 value is presented once and cleaned up once;
//   - every replica serves every certificate (a verified TLS handshake);
//   - every replica stops cleanly.
func IssuedOnce(t *testing.T, cfg Config, perZone int) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	var certs []*certificate.Certificate
	certs = append(certs, Certificates("http", perZone, ZoneHTTP01)...)
	certs = append(certs, Certificates("alpn", perZone, ZoneTLSALPN01)...)
	certs = append(certs, Certificates("dns", perZone, ZoneDNS01)...)
	certs = append(certs, testrig.ACMECertificate(Namespace, "wild", IssuerName, "*.wild."+ZoneDNS01, "wild."+ZoneDNS01))
	cfg.Objects = append(cfg.Objects, Objects(certs)...)

	r := Start(t, ctx, cfg)
	r.AwaitReady(certs)
	l := r.RequireIssuedOnce(Names(certs))
	r.RequireValidatedByOthers(map[string]int{"HTTP-01": perZone, "TLS-ALPN-01": perZone})
	r.RequireDNSOnce(perZone + 2)
	served := r.RequireServedByEvery(certs)
	require.NoError(t, r.Cluster.Close(), "every replica stops cleanly")

	t.Logf("%d replicas, %d certificates (%d names): orders %d, finalizes %d, issued %d, accepts %d; "+
		"validations by another replica %d; DNS-01 calls %d; handshakes verified %d",
		cfg.Replicas, len(certs), len(Names(certs)), sum(l.NewOrders), sum(l.Finalizes), sum(l.Issued), sum(l.Accepts),
		len(r.Front.Validations()), len(r.Front.DNSCalls()), len(served))
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
