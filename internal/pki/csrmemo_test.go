package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testCSR(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	csr, err := CreateCSR(key, CSRTemplate{DNSNames: []string{name}})
	require.NoError(t, err)
	return csr
}

// TestCSRMemo_ParsesAndVerifiesOnce: however often a CSR is read, it is
// parsed once and its signature checked once; one this process made is
// never checked; a forged one fails every time as ParseCSR fails.
func TestCSRMemo_ParsesAndVerifiesOnce(t *testing.T) {
	m := &CSRMemo{}
	a := testCSR(t, "a.example.test")
	for range 3 {
		csr, err := m.Parse(a)
		require.NoError(t, err)
		assert.Equal(t, []string{"a.example.test"}, csr.DNSNames)
	}
	for range 2 {
		_, err := m.ParseVerified(a)
		require.NoError(t, err)
	}
	parsed, verified := m.Counts()
	assert.EqualValues(t, 1, parsed)
	assert.EqualValues(t, 1, verified)

	b := testCSR(t, "b.example.test")
	m.Made(b)
	csr, err := m.ParseVerified(b)
	require.NoError(t, err)
	assert.Equal(t, []string{"b.example.test"}, csr.DNSNames)
	_, verified = m.Counts()
	assert.EqualValues(t, 1, verified, "one it made is not checked")

	// The signature of another CSR under a's body: parses, does not verify.
	blk, _ := pem.Decode(a)
	forged := append([]byte(nil), blk.Bytes...)
	forged[len(forged)-3] ^= 0xff
	bad := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: forged})
	for range 2 {
		_, err := m.ParseVerified(bad)
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrBadCSR), "%v", err)
		_, want := ParseCSR(bad)
		assert.Equal(t, want.Error(), err.Error(), "as ParseCSR says")
	}

	var none *CSRMemo
	_, err = none.ParseVerified(a)
	require.NoError(t, err)
	_, err = none.Parse([]byte("not a CSR"))
	assert.ErrorIs(t, err, ErrBadCSR)
	none.Made(a)
}

// A nil CSRMemo holds nothing and parsed or checked nothing.
func TestCSRMemo_NilCounts(t *testing.T) {
	var m *CSRMemo
	assert.Zero(t, m.Len())
	parsed, verified := m.Counts()
	assert.Zero(t, parsed)
	assert.Zero(t, verified)
}

// ParseHeld shares the parse of a CSR the memo holds, and parses any
// other without holding it.
func TestCSRMemo_ParseHeldOnlySharesWhatItHolds(t *testing.T) {
	m := &CSRMemo{}
	held, other := testCSR(t, "held.example.test"), testCSR(t, "other.example.test")
	m.Made(held)
	first, err := m.ParseHeld(held)
	require.NoError(t, err)
	again, err := m.Parse(held)
	require.NoError(t, err)
	assert.Same(t, first, again, "one parse of a held CSR")

	csr, err := m.ParseHeld(other)
	require.NoError(t, err)
	assert.Equal(t, []string{"other.example.test"}, csr.DNSNames)
	assert.Equal(t, 1, m.Len(), "a CSR not in flight is not kept")

	var none *CSRMemo
	csr, err = none.ParseHeld(other)
	require.NoError(t, err)
	assert.Equal(t, []string{"other.example.test"}, csr.DNSNames)
}
