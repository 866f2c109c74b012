package replicatest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
)

// Handshake makes a TLS handshake with the replica listening on port,
// asking for serverName, and returns the leaf it served after verifying
// its chain against roots.
func Handshake(ctx context.Context, port int, serverName string, roots *x509.CertPool) (*x509.Certificate, error) {
	d := tls.Dialer{Config: &tls.Config{ServerName: serverName, RootCAs: roots, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}}}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("replicatest: handshake for %s on port %d: %w", serverName, port, err)
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState().PeerCertificates[0], nil
}
