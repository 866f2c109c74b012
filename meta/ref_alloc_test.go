package meta

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRefString_OneAllocation: a ref's string is made at every account
// slot and claim of a visit.
func TestRefString_OneAllocation(t *testing.T) {
	r := Ref{Kind: KindCertificateRequest, Namespace: "some-namespace", Name: "a-certificate-name-1"}
	assert.Equal(t, "CertificateRequest/some-namespace/a-certificate-name-1", r.String())
	assert.Equal(t, "CertificateRequest/x", Ref{Kind: KindCertificateRequest, Name: "x"}.String())
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { _ = r.String() }))
}
