package solver

import (
	"bytes"
	"context"
	"net"
	"testing"
)

// BenchmarkHTTP01CheckOwn is one self-check over a connection that answers
// at once without a server goroutine: the check's own work, not the
// server's or the kernel's.
func BenchmarkHTTP01CheckOwn(b *testing.B) {
	const keyAuth = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 87\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + keyAuth)
	s := HTTP01Solver{Dial: func(context.Context, string, string) (net.Conn, error) {
		return &cannedConn{r: bytes.NewReader(answer)}, nil
	}}
	ch := Challenge{Type: HTTP01, Identifier: "site-0001.example.com", Token: keyAuth[:43], KeyAuthorization: keyAuth}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Check(context.Background(), ch); err != nil {
			b.Fatal(err)
		}
	}
}
