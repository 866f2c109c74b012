package serve

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
)

// echoServer serves cfg on a free loopback port and echoes lines back. It is
// stopped, with every connection it accepted, when the test ends.
func echoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := io.WriteString(conn, line); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func dial(ctx context.Context, t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	deadline, _ := ctx.Deadline()
	require.NoError(t, conn.SetDeadline(deadline))
	return conn.(*tls.Conn)
}

func echo(t *testing.T, conn *tls.Conn, msg string) {
	t.Helper()
	_, err := io.WriteString(conn, msg+"\n")
	require.NoError(t, err)
	got, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, msg+"\n", got)
}

func TestHandshakeBeforeAndAfterSwap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example", "*.w.example"}})))
	addr := echoServer(t, c.TLSConfig())
	client := func(name string) *tls.Config {
		return &tls.Config{RootCAs: ca.pool, ServerName: name, NextProtos: []string{"h2", "http/1.1"}}
	}

	before := dial(ctx, t, addr, client("a.example"))
	require.NoError(t, before.HandshakeContext(ctx))
	serialBefore := before.ConnectionState().PeerCertificates[0].SerialNumber
	assert.Equal(t, "h2", before.ConnectionState().NegotiatedProtocol)
	echo(t, before, "hello before swap")

	wild := dial(ctx, t, addr, client("x.w.example"))
	require.NoError(t, wild.HandshakeContext(ctx))
	assert.Equal(t, serialBefore, wild.ConnectionState().PeerCertificates[0].SerialNumber)

	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example", "*.w.example"}})))

	after := dial(ctx, t, addr, client("a.example"))
	require.NoError(t, after.HandshakeContext(ctx))
	serialAfter := after.ConnectionState().PeerCertificates[0].SerialNumber
	assert.NotEqual(t, serialBefore, serialAfter, "a new handshake gets the swapped certificate")
	echo(t, after, "hello after swap")

	// The connection opened before the swap keeps working on its old certificate.
	echo(t, before, "still here")
	assert.Equal(t, serialBefore, before.ConnectionState().PeerCertificates[0].SerialNumber)

	t.Run("unknown name fails the handshake", func(t *testing.T) {
		d := tls.Dialer{Config: client("nope.example")}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "remote error: tls", "the server aborts with an alert")
	})
}

func TestHandshakeTLSALPN01(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	const keyAuth = testToken + ".thumb"
	require.NoError(t, c.PutChallenge(newChallenge("ch", solver.TLSALPN01, "a.example", keyAuth)))
	addr := echoServer(t, c.TLSConfig())

	// As a validator does (RFC 8737 §3): offer only acme-tls/1, skip chain
	// verification, then check the certificate itself.
	conn := dial(ctx, t, addr, &tls.Config{
		ServerName:         "a.example",
		NextProtos:         []string{acmeTLS1},
		InsecureSkipVerify: true,
	})
	require.NoError(t, conn.HandshakeContext(ctx))
	state := conn.ConnectionState()
	assert.Equal(t, acmeTLS1, state.NegotiatedProtocol)
	require.Len(t, state.PeerCertificates, 1)
	verifyChallengeCert(t, state.PeerCertificates[0], "a.example", keyAuth)

	normal := dial(ctx, t, addr, &tls.Config{RootCAs: ca.pool, ServerName: "a.example"})
	require.NoError(t, normal.HandshakeContext(ctx), "a normal client verifies the CA-issued leaf")
}
