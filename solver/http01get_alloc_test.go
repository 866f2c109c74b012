package solver

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cannedConn is a connection whose peer answers every request with answer
// at once; writes are discarded. It runs no goroutine, so what a check
// allocates over it is the check's own.
type cannedConn struct {
	net.Conn // nil: the methods below are all a check calls
	r        *bytes.Reader
}

func (c *cannedConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c *cannedConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *cannedConn) Close() error                       { return nil }
func (c *cannedConn) SetDeadline(time.Time) error        { return nil }
func (c *cannedConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *cannedConn) SetWriteDeadline(t time.Time) error { return nil }

// Each HTTP-01 issuance makes a self-check: its request, about 150 bytes,
// is not written through a 4 KiB buffer, nor its ~90-byte answer read into
// 512.
func TestHTTP01Check_BytesAllocated(t *testing.T) {
	const keyAuth = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 87\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + keyAuth)
	require.Len(t, keyAuth, 87)
	s := HTTP01Solver{Dial: func(context.Context, string, string) (net.Conn, error) {
		return &cannedConn{r: bytes.NewReader(answer)}, nil
	}}
	ch := Challenge{Type: HTTP01, Identifier: "site-0001.example.com", Token: keyAuth[:43], KeyAuthorization: keyAuth}
	require.NoError(t, s.Check(context.Background(), ch))
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Check(context.Background(), ch); err != nil {
				b.Fatal(err)
			}
		}
	})
	t.Logf("%d B and %d allocations a check", res.AllocedBytesPerOp(), res.AllocsPerOp())
	assert.Less(t, res.AllocedBytesPerOp(), int64(5120), "bytes a self-check allocates (8.4 KB with the 4 KiB writer)")
}

var _ io.ReadWriteCloser = (*cannedConn)(nil)
