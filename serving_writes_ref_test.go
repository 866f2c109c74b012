package certflow

import (
	"crypto/tls"
	"log/slog"
	"runtime"
	"testing"
	"unsafe"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/serve"
)

// A Secret the certificate reconciler stores is named by a string of its
// Certificate's Get, which the memory store decodes into one block with
// every other string of that Certificate: the serving cache keeps the
// Secret's name while it serves it, and must not keep that block alive.
func TestServedWriteKeepsNotTheNamesBlock(t *testing.T) {
	cache := serve.NewCache(serve.Options{})
	sw := &servingWrites{cache: cache, log: slog.New(slog.DiscardHandler), served: &servedVersions{}}

	sec := tlsSecret(t, "", "web.example.test")
	block := new([256]byte) // as a Get's block of strings
	n := copy(block[:], "web-tls")
	sec.ObjectMeta.Name = unsafe.String(&block[0], n)
	sec.ObjectMeta.ResourceVersion = "7"
	held := weak.Make(block)
	block = nil

	sw.serve(sec)
	assert.Equal(t, "web-tls", sec.ObjectMeta.Name, "the caller's Secret is left as it was")
	sec = nil
	runtime.GC()
	assert.Nil(t, held.Value(), "the cache holds the Secret's name, not the block it was read into")

	_, err := cache.GetCertificate(&tls.ClientHelloInfo{ServerName: "web.example.test"})
	require.NoError(t, err, "served")
}
