//go:build linux

package solver

import (
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A self-check's connection carries one request and is closed: its default
// dial turns no TCP keep-alive on (a zero net.Dialer would, with four
// setsockopt calls per check).
func TestHTTP01CheckDialsWithoutKeepAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	conn, err := HTTP01Solver{}.dial()(t.Context(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	raw, err := conn.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var on int
	var sockErr error
	require.NoError(t, raw.Control(func(fd uintptr) {
		on, sockErr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	}))
	require.NoError(t, sockErr)
	assert.Zero(t, on, "SO_KEEPALIVE on a self-check's connection")
}
