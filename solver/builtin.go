package solver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrSelfCheck is wrapped by every failed self-check of the built-in
// solvers. Its text is bare so that a Challenge's reason reads
// "self-check: GET http://…: 404".
var ErrSelfCheck = errors.New("self-check")

// DialFunc dials like net.Dialer.DialContext. Tests use it to reach a
// loopback responder for a name that does not resolve.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// HTTP01Solver is the built-in HTTP-01 solver. The Manager serves key
// authorizations from the Store (a Challenge marked Presented is what it
// serves), so Present and CleanUp do nothing; Check fetches the token the way
// the CA will. The zero value checks port 80 with a default dialer.
type HTTP01Solver struct {
	// Port is where the self-check connects. If 0, 80 is used.
	Port int
	// Dial opens the connection. If nil, a net.Dialer is used.
	Dial DialFunc
}

var (
	_ Solver      = HTTP01Solver{}
	_ Checker     = HTTP01Solver{}
	_ StoreServed = HTTP01Solver{}
)

// Present does nothing: the Challenge object in the Store is the answer.
func (HTTP01Solver) Present(context.Context, Challenge) error { return nil }

// CleanUp does nothing: deleting or finishing the Challenge withdraws the answer.
func (HTTP01Solver) CleanUp(context.Context, Challenge) error { return nil }

// ServedFromStore marks HTTP01Solver as StoreServed.
func (HTTP01Solver) ServedFromStore() {}

// Check GETs http://<identifier>:<port>/.well-known/acme-challenge/<token>
// and compares the body with the key authorization. Like the CA, it opens
// a connection of its own for each check; the request and its answer go
// over it on the calling goroutine (get), and an answer that redirects is
// followed as an HTTP client does (getFollowing).
func (h HTTP01Solver) Check(ctx context.Context, ch Challenge) error {
	port := h.Port
	if port == 0 {
		port = 80
	}
	// On port 80 the URL names no port, so the Host header is the name
	// alone, as the CA sends it (a virtual host matched on it answers
	// both the same way).
	host := net.JoinHostPort(ch.Identifier, strconv.Itoa(port))
	if port == 80 {
		host = strings.TrimSuffix(host, ":80")
	}
	url := "http://" + host + "/.well-known/acme-challenge/" + ch.Token
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%w: GET %s: %v", ErrSelfCheck, url, err)
	}
	status, body, err := h.get(ctx, req)
	if errors.Is(err, errRedirected) {
		status, body, err = h.getFollowing(req)
	}
	if err != nil {
		return fmt.Errorf("%w: GET %s: %v", ErrSelfCheck, url, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("%w: GET %s: %d", ErrSelfCheck, url, status)
	}
	// RFC 8555 §8.3: whitespace at the end of the body is ignored, and
	// only there (Boulder and Pebble trim the right side alone): a body
	// the CA would refuse does not pass here.
	if got := string(bytes.TrimRight(body, " \t\r\n")); got != ch.KeyAuthorization {
		return fmt.Errorf("%w: GET %s: body %.64q is not the key authorization", ErrSelfCheck, url, got)
	}
	return nil
}

// getFollowing makes req with an HTTP client, following redirects.
func (h HTTP01Solver) getFollowing(req *http.Request) (int, []byte, error) {
	tr := &http.Transport{DialContext: h.dial(), DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: selfCheckTimeout}
	res, err := cl.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, selfCheckBodyLimit))
	return res.StatusCode, body, err
}

func (h HTTP01Solver) dial() DialFunc {
	if h.Dial != nil {
		return h.Dial
	}
	return checkDialer.DialContext
}

// checkDialer dials a self-check's connection: one request (or handshake)
// and closed, so TCP keep-alive, which a zero net.Dialer turns on with
// four setsockopt calls, would never probe anything.
var checkDialer = net.Dialer{KeepAlive: -1}

// TLSALPN01Solver is the built-in TLS-ALPN-01 solver (RFC 8737). The Manager's
// GetCertificate answers acme-tls/1 handshakes from the Store, so Present and
// CleanUp do nothing; Check performs the CA's handshake. The zero value
// checks port 443 with a default dialer.
type TLSALPN01Solver struct {
	// Port is where the self-check connects. If 0, 443 is used.
	Port int
	// Dial opens the connection. If nil, a net.Dialer is used.
	Dial DialFunc
}

var (
	_ Solver      = TLSALPN01Solver{}
	_ Checker     = TLSALPN01Solver{}
	_ StoreServed = TLSALPN01Solver{}
)

// ALPNProto is the ALPN protocol of TLS-ALPN-01 (RFC 8737 §6.2).
const ALPNProto = "acme-tls/1"

// oidACMEIdentifier is id-pe-acmeIdentifier (RFC 8737 §6.1).
var oidACMEIdentifier = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}

// Present does nothing: the Challenge object in the Store is the answer.
func (TLSALPN01Solver) Present(context.Context, Challenge) error { return nil }

// CleanUp does nothing.
func (TLSALPN01Solver) CleanUp(context.Context, Challenge) error { return nil }

// ServedFromStore marks TLSALPN01Solver as StoreServed.
func (TLSALPN01Solver) ServedFromStore() {}

// Check connects with ALPN acme-tls/1 and the identifier as SNI and verifies
// that the certificate names the identifier and carries the acmeIdentifier
// extension holding SHA-256 of the key authorization.
func (t TLSALPN01Solver) Check(ctx context.Context, ch Challenge) error {
	port := t.Port
	if port == 0 {
		port = 443
	}
	addr := net.JoinHostPort(ch.Identifier, strconv.Itoa(port))
	dial := t.Dial
	if dial == nil {
		dial = checkDialer.DialContext
	}
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("%w: tls-alpn-01 %s: %v", ErrSelfCheck, addr, err)
	}
	defer raw.Close()
	cfg := &tls.Config{
		NextProtos: []string{ALPNProto},
		// The challenge certificate is self-signed by design: the
		// extension is what is verified.
		InsecureSkipVerify: true, //nolint:gosec
	}
	cfg.ServerName = ch.Identifier
	if ip := net.ParseIP(ch.Identifier); ip != nil {
		// RFC 8738 §6: the CA sends the reverse-mapping name as SNI.
		cfg.ServerName = ReverseName(ip)
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("%w: tls-alpn-01 %s: handshake: %v", ErrSelfCheck, addr, err)
	}
	st := conn.ConnectionState()
	if st.NegotiatedProtocol != ALPNProto {
		return fmt.Errorf("%w: tls-alpn-01 %s: negotiated protocol %q", ErrSelfCheck, addr, st.NegotiatedProtocol)
	}
	if len(st.PeerCertificates) == 0 {
		return fmt.Errorf("%w: tls-alpn-01 %s: no certificate", ErrSelfCheck, addr)
	}
	return verifyALPNCert(st.PeerCertificates[0], ch)
}

// ReverseName returns the in-addr.arpa or ip6.arpa name of ip, without the
// trailing dot: the SNI of a TLS-ALPN-01 handshake for an IP identifier.
func ReverseName(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", v4[3], v4[2], v4[1], v4[0])
	}
	const hexDigits = "0123456789abcdef"
	v6 := ip.To16()
	b := make([]byte, 0, 64+len("ip6.arpa"))
	for i := len(v6) - 1; i >= 0; i-- {
		b = append(b, hexDigits[v6[i]&0xf], '.', hexDigits[v6[i]>>4], '.')
	}
	return string(append(b, "ip6.arpa"...))
}

func verifyALPNCert(c *x509.Certificate, ch Challenge) error {
	if err := c.VerifyHostname(ch.Identifier); err != nil {
		return fmt.Errorf("%w: tls-alpn-01: certificate does not name %s", ErrSelfCheck, ch.Identifier)
	}
	want := sha256.Sum256([]byte(ch.KeyAuthorization))
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidACMEIdentifier) {
			continue
		}
		var got []byte
		if _, err := asn1.Unmarshal(ext.Value, &got); err != nil {
			return fmt.Errorf("%w: tls-alpn-01: malformed acmeIdentifier: %v", ErrSelfCheck, err)
		}
		if !bytes.Equal(got, want[:]) {
			return fmt.Errorf("%w: tls-alpn-01: acmeIdentifier is not SHA-256 of the key authorization", ErrSelfCheck)
		}
		return nil
	}
	return fmt.Errorf("%w: tls-alpn-01: certificate has no acmeIdentifier extension", ErrSelfCheck)
}

// challengeCertLifetime bounds a TLS-ALPN-01 certificate's validity.
// Validators ignore it; a bound keeps it from passing for a real leaf.
const challengeCertLifetime = 7 * 24 * time.Hour

// TLSALPN01Cert makes the self-signed certificate that answers a
// TLS-ALPN-01 challenge (RFC 8737 §3, RFC 8738 §6 for IP identifiers): an
// ephemeral P-256 key, the identifier as its only SAN, and the critical
// acmeIdentifier extension holding SHA-256 of the key authorization.
// x/crypto/acme's TLSALPN01ChallengeCert needs the account key; this needs
// only the key authorization, which is what the Store holds.
func TLSALPN01Cert(ch Challenge, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("solver: tls-alpn-01 key: %w", err)
	}
	sum := sha256.Sum256([]byte(ch.KeyAuthorization))
	ext, err := asn1.Marshal(sum[:])
	if err != nil {
		return nil, fmt.Errorf("solver: tls-alpn-01 extension: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("solver: tls-alpn-01 serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "ACME TLS-ALPN-01 challenge"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(challengeCertLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		ExtraExtensions:       []pkix.Extension{{Id: oidACMEIdentifier, Critical: true, Value: ext}},
	}
	if ip := net.ParseIP(ch.Identifier); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{ch.Identifier}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("solver: tls-alpn-01 certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("solver: tls-alpn-01 certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
