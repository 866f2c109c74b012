package acmeproto

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
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

// serialDER writes what encoding/asn1 writes for every non-negative
// serial, at each byte boundary and for random 159- and 160-bit ones.
func TestSerialDERMatchesASN1(t *testing.T) {
	serials := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(0x7f), big.NewInt(0x80), big.NewInt(0xff), big.NewInt(0x100), big.NewInt(0x8000)}
	for range 300 {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 160))
		require.NoError(t, err)
		serials = append(serials, n)
	}
	for _, n := range serials {
		der, err := asn1.Marshal(n)
		require.NoError(t, err)
		var raw asn1.RawValue
		_, err = asn1.Unmarshal(der, &raw)
		require.NoError(t, err)
		got, err := serialDER(n)
		require.NoError(t, err)
		require.Equal(t, raw.Bytes, got, "serial %x", n)
	}
}
