package acmeproto

import (
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// IsCertID answers what comparing with CertID answers, for serials of
// every length up to RFC 5280's 20 bytes and past it, and a missing one.
func TestIsCertID_AgreesWithCertID(t *testing.T) {
	aki := []byte{0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4}
	for bits := 0; bits <= 200; bits += 7 {
		serial := new(big.Int).Lsh(big.NewInt(1), uint(bits))
		leaf := &x509.Certificate{AuthorityKeyId: aki, SerialNumber: serial}
		id, err := CertID(leaf)
		require.NoError(t, err)
		is, ok := IsCertID(leaf, id)
		assert.True(t, is && ok, "serial 2^%d", bits)
		is, ok = IsCertID(leaf, id+"x")
		assert.True(t, !is && ok, "serial 2^%d, another id", bits)
		other := &x509.Certificate{AuthorityKeyId: aki, SerialNumber: new(big.Int).Add(serial, big.NewInt(1))}
		is, _ = IsCertID(other, id)
		assert.False(t, is, "serial 2^%d+1", bits)
	}
	is, ok := IsCertID(&x509.Certificate{SerialNumber: big.NewInt(1)}, "")
	assert.False(t, is || ok, "no key identifier, no CertID")
}

// Renewal decisions compare on every visit of an issued certificate.
func TestIsCertID_DoesNotAllocate(t *testing.T) {
	leaf := &x509.Certificate{AuthorityKeyId: make([]byte, 20), SerialNumber: new(big.Int).Lsh(big.NewInt(1), 159)}
	id, err := CertID(leaf)
	require.NoError(t, err)
	if n := testing.AllocsPerRun(100, func() { IsCertID(leaf, id) }); n != 0 {
		t.Errorf("IsCertID allocates %v times", n)
	}
}
