package certificate

import (
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/acmeproto"
)

// Every visit of an issued certificate asks when it renews and whether
// its CA is due a renewal-info check: neither builds the leaf's CertID,
// and both find the stored status of this leaf only.
func TestARIStatusOf_ComparesWithoutAllocating(t *testing.T) {
	now := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	leaf := &x509.Certificate{AuthorityKeyId: make([]byte, 20), SerialNumber: big.NewInt(0x87654321),
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)}
	id, err := acmeproto.CertID(leaf)
	require.NoError(t, err)
	sel, next := now.Add(40*24*time.Hour), now.Add(time.Hour)
	cert := &Certificate{Status: Status{ACME: &ACMEStatus{ARI: &ARIStatus{CertID: id, SelectedTime: &sel, NextCheck: &next}}}}

	rt, basis := renewalOf(cert, leaf)
	assert.Equal(t, sel, rt)
	assert.Equal(t, RenewalBasisARI, basis)
	assert.False(t, ariCheckDue(cert, leaf, now))
	assert.True(t, ariCheckDue(cert, leaf, next))

	other := &Certificate{Status: Status{ACME: &ACMEStatus{ARI: &ARIStatus{CertID: id + "x", SelectedTime: &sel, NextCheck: &next}}}}
	_, basis = renewalOf(other, leaf)
	assert.NotEqual(t, RenewalBasisARI, basis, "another leaf's status")
	assert.True(t, ariCheckDue(other, leaf, now), "never asked about this leaf")
	assert.False(t, ariCheckDue(cert, &x509.Certificate{SerialNumber: big.NewInt(1)}, now), "no CertID, nothing to ask")

	if n := testing.AllocsPerRun(100, func() {
		renewalOf(cert, leaf)
		ariCheckDue(cert, leaf, now)
	}); n != 0 {
		t.Errorf("allocates %v times", n)
	}
}
