package pki

import (
	"bytes"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appendPEM writes encoding/pem's bytes for every length around the line
// and base64 boundaries, after what dst holds.
func TestAppendPEMMatchesEncodingPEM(t *testing.T) {
	for n := 0; n <= 3*48+2; n++ {
		der := bytes.Repeat([]byte{0xA5}, n)
		for i := range der {
			der[i] ^= byte(i)
		}
		want := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		got := appendPEM(nil, "CERTIFICATE", der)
		require.Equal(t, string(want), string(got), "%d bytes", n)
		require.Equal(t, "x"+string(want), string(appendPEM([]byte("x"), "CERTIFICATE", der)))
	}
	assert.Equal(t, 1.0, testing.AllocsPerRun(20, func() { appendPEM(nil, "PRIVATE KEY", make([]byte, 138)) }))
}

// EncodeDER is pem.Encode of each certificate in turn, and nil for none.
func TestEncodeDERMatchesEncodingPEM(t *testing.T) {
	a, b := bytes.Repeat([]byte{1}, 700), bytes.Repeat([]byte{2}, 49)
	var want bytes.Buffer
	require.NoError(t, pem.Encode(&want, &pem.Block{Type: "CERTIFICATE", Bytes: a}))
	require.NoError(t, pem.Encode(&want, &pem.Block{Type: "CERTIFICATE", Bytes: b}))
	assert.Equal(t, want.String(), string(EncodeDER(a, b)))
	assert.Nil(t, EncodeDER())
}
