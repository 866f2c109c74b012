package replicatest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// acmeTLSProto is the ALPN protocol of TLS-ALPN-01 (RFC 8737).
const acmeTLSProto = "acme-tls/1"

// idPeAcmeIdentifier is the extension a TLS-ALPN-01 certificate carries
// (RFC 8737 §3).
var idPeAcmeIdentifier = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}

func (f *Front) acceptTLS() {
	for {
		conn, err := f.tlsL.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer conn.Close()
			f.serveTLSALPN01(conn)
		}()
	}
}

// serveTLSALPN01 reads the CA's ClientHello, picks a replica that did not
// present the challenge for its name, checks (briefly retrying) that the
// replica answers acme-tls/1 for it, and then joins the two connections,
// replaying the hello.
func (f *Front) serveTLSALPN01(conn net.Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-f.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	name, protos, hello, err := peekHello(conn)
	_ = conn.SetReadDeadline(time.Time{})
	if err != nil || !slices.Contains(protos, acmeTLSProto) {
		return
	}
	v := Validation{Type: "TLS-ALPN-01", Key: name}
	defer func() { f.record(v) }()
	// The replica chosen must answer acme-tls/1 for name; one that has not
	// seen the challenge yet is retried briefly, one that went away is
	// replaced by the next in rotation.
	var addr string
	var release func() // held from the routing that answers to the end
	var pctx context.Context
	wait := f.presenterWait // only before the first routing
	for {
		var b backend
		v.Presenter, v.ServedBy, b, release = f.route(ctx, presenterKey("TLS-ALPN-01", name, ""), wait)
		if pctx == nil {
			var cancelProbe context.CancelFunc
			pctx, cancelProbe = context.WithTimeout(ctx, answerWait)
			defer cancelProbe()
			wait = 0
		}
		if v.ServedBy >= 0 {
			addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(b.tlsPort))
			if handshakeALPN(pctx, addr, name) == nil {
				break
			}
		}
		release()
		select {
		case <-pctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	defer release()
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return
	}
	defer up.Close()
	if _, err := up.Write(hello); err != nil {
		return
	}
	v.OK = true
	pipe(conn, up)
}

func handshakeALPN(ctx context.Context, addr, name string) error {
	d := tls.Dialer{Config: &tls.Config{
		ServerName: name, NextProtos: []string{acmeTLSProto}, MinVersion: tls.VersionTLS12,
		// The challenge certificate is self-signed by design; what matters
		// is that it is one (it carries the acmeIdentifier extension).
		InsecureSkipVerify: true, //nolint:gosec
	}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	st := c.(*tls.Conn).ConnectionState()
	if st.NegotiatedProtocol != acmeTLSProto || len(st.PeerCertificates) == 0 || !hasAcmeIdentifier(st.PeerCertificates[0]) {
		return errors.New("replicatest: no TLS-ALPN-01 certificate for " + name)
	}
	return nil
}

func hasAcmeIdentifier(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(idPeAcmeIdentifier) {
			return true
		}
	}
	return false
}

// errPeeked stops the handshake once the ClientHello is read.
var errPeeked = errors.New("replicatest: hello read")

// peekHello reads a TLS ClientHello from conn and returns its server name,
// its ALPN protocols and the bytes read, to be replayed to the replica.
// Whatever the aborted handshake would write back is dropped.
func peekHello(conn net.Conn) (name string, protos []string, raw []byte, err error) {
	rc := &recordingConn{Conn: conn}
	err = tls.Server(rc, &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		name, protos = h.ServerName, slices.Clone(h.SupportedProtos)
		return nil, errPeeked
	}}).Handshake()
	if !errors.Is(err, errPeeked) {
		if err == nil {
			err = errors.New("replicatest: handshake ended without a hello")
		}
		return "", nil, nil, err
	}
	return name, protos, rc.buf.Bytes(), nil
}

// recordingConn keeps what is read and swallows what is written.
type recordingConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.buf.Write(p[:n])
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) { return len(p), nil }

// pipe copies both ways until either side is done.
func pipe(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	cp := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
		_ = src.Close()
	}
	go cp(a, b)
	go cp(b, a)
	wg.Wait()
}
