package bindtest

import (
	"net"
	"strconv"
	"testing"
)

// FreePort returns a port that is free for both UDP and TCP on every one of
// ips (127.0.0.1 when none is given), so that several servers can share it on
// different loopback addresses. The port is released before returning; the
// tiny window in which another process could take it is accepted.
func FreePort(t testing.TB, ips ...string) int {
	t.Helper()
	if len(ips) == 0 {
		ips = []string{"127.0.0.1"}
	}
	for range 50 {
		l, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatalf("bindtest: listen on %s: %v", ips[0], err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if portFree(ips, port) {
			return port
		}
	}
	t.Fatalf("bindtest: no port free on all of %v", ips)
	return 0
}

func portFree(ips []string, port int) bool {
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	for _, ip := range ips {
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		closers = append(closers, l.Close)
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		closers = append(closers, pc.Close)
	}
	return true
}
