package acmeproto

import (
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example of RFC 9773 §4.1: keyIdentifier 69:88:5B:…:D4, serial
// 0x87654321 (DER 00 87 65 43 21, the leading zero kept).
func TestCertID_RFC9773Example(t *testing.T) {
	aki := []byte{0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4}
	id, err := CertID(&x509.Certificate{AuthorityKeyId: aki, SerialNumber: big.NewInt(0x87654321)})
	require.NoError(t, err)
	assert.Equal(t, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", id)
}

func TestCertID_SerialWithoutHighBit(t *testing.T) {
	id, err := CertID(&x509.Certificate{AuthorityKeyId: []byte{1}, SerialNumber: big.NewInt(0x1234)})
	require.NoError(t, err)
	assert.Equal(t, "AQ.EjQ", id, "no leading zero when the high bit is clear")
}

func TestCertID_Missing(t *testing.T) {
	for name, c := range map[string]*x509.Certificate{
		"nil":       nil,
		"no AKI":    {SerialNumber: big.NewInt(1)},
		"no serial": {AuthorityKeyId: []byte{1}},
	} {
		_, err := CertID(c)
		assert.ErrorIs(t, err, ErrNoCertID, name)
	}
}
