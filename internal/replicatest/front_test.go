package replicatest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

func TestFront_PicksTheNextLiveReplicaAfterThePresenter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		up        []int
		presenter int
		want      int
	}{
		{"next", []int{0, 1, 2}, 0, 1},
		{"wraps", []int{0, 1, 2}, 2, 0},
		{"skips a dead one", []int{0, 2}, 0, 2},
		{"presenter dead", []int{1, 2}, 0, 1},
		{"only the presenter", []int{1}, 1, 1},
		{"unknown presenter", []int{1, 2}, -1, 1},
		{"skips a drained one", []int{0, 1, 2}, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &Front{backends: map[int]backend{}, drained: map[int]bool{}}
			for _, i := range tc.up {
				f.backends[i] = backend{httpPort: 1000 + i}
			}
			if tc.name == "skips a drained one" {
				f.drained[1] = true
			}
			_, to, b := f.pickLocked(tc.presenter)
			assert.Equal(t, tc.want, to)
			assert.Equal(t, 1000+tc.want, b.httpPort)
		})
	}
}

func presented(f *Front, replica int, typ, dnsName, token string) {
	f.observe(Event{Replica: replica, Report: Report{Type: ReportEffect, Ref: meta.Ref{Kind: meta.KindChallenge, Name: "c"},
		Step: stepPresent, Phase: PhaseDone, Ran: true, Challenge: &ChallengeInfo{Type: typ, DNSName: dnsName, Token: token}}})
}

// The CA's HTTP-01 request is answered by the replica after the presenter.
func TestFront_HTTP01GoesToAReplicaThatDidNotPresent(t *testing.T) {
	f, err := NewFront()
	require.NoError(t, err)
	defer f.Close()
	for i := range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "replica "+strconv.Itoa(i))
		}), ReadHeaderTimeout: time.Second}
		go func() { _ = srv.Serve(l) }()
		defer srv.Close()
		f.replicaUp(i, l.Addr().(*net.TCPAddr).Port, 0)
	}
	presented(f, 0, "HTTP-01", "a.test", "tok")

	res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(f.HTTPPort) + "/.well-known/acme-challenge/tok")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	assert.Equal(t, "replica 1", string(body))
	assert.Equal(t, []Validation{{Type: "HTTP-01", Key: "tok", Presenter: 0, ServedBy: 1, OK: true}}, f.Validations())
}

// alpnReplica serves a TLS-ALPN-01 challenge certificate named cn.
func alpnReplica(t *testing.T, cn string) int {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		DNSNames: []string{"a.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: idPeAcmeIdentifier, Critical: true, Value: []byte{4, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{acmeTLSProto}}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// The CA's TLS-ALPN-01 handshake reaches, through the Front, a replica
// that did not present the challenge: its hello is replayed intact.
func TestFront_TLSALPN01GoesToAReplicaThatDidNotPresent(t *testing.T) {
	f, err := NewFront()
	require.NoError(t, err)
	defer f.Close()
	f.replicaUp(0, 0, alpnReplica(t, "replica-0"))
	f.replicaUp(1, 0, alpnReplica(t, "replica-1"))
	presented(f, 1, "TLS-ALPN-01", "A.test.", "tok")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{ServerName: "a.test", NextProtos: []string{acmeTLSProto}, InsecureSkipVerify: true}} //nolint:gosec
	c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(f.TLSPort))
	require.NoError(t, err)
	st := c.(*tls.Conn).ConnectionState()
	_ = c.Close()
	assert.Equal(t, acmeTLSProto, st.NegotiatedProtocol)
	assert.Equal(t, "replica-0", st.PeerCertificates[0].Subject.CommonName)
	require.NoError(t, f.Await(ctx, func() bool { return len(f.Validations()) == 1 }))
	assert.Equal(t, []Validation{{Type: "TLS-ALPN-01", Key: "a.test", Presenter: 1, ServedBy: 0, OK: true}}, f.Validations())
}

// A validation whose presenter never reported (it died between storing the
// challenge as presented and reporting it) still gets answerWait to find a
// replica that answers, once it stopped waiting for the presenter.
func TestFront_UnknownPresenterLeavesTheAnswerWaitWhole(t *testing.T) {
	f, err := NewFront()
	require.NoError(t, err)
	defer f.Close()
	f.presenterWait = answerWait // a wait that would leave nothing of it
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "key authorization")
	}), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	f.replicaUp(0, l.Addr().(*net.TCPAddr).Port, alpnReplica(t, "replica-0"))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{ServerName: "a.test", NextProtos: []string{acmeTLSProto}, InsecureSkipVerify: true}} //nolint:gosec
	c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(f.TLSPort))
	require.NoError(t, err)
	assert.Equal(t, "replica-0", c.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName)
	_ = c.Close()

	res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(f.HTTPPort) + "/.well-known/acme-challenge/tok")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	assert.Equal(t, "key authorization", string(body))

	require.NoError(t, f.Await(ctx, func() bool { return len(f.Validations()) == 2 }))
	assert.ElementsMatch(t, []Validation{
		{Type: "TLS-ALPN-01", Key: "a.test", Presenter: -1, ServedBy: 0, OK: true},
		{Type: "HTTP-01", Key: "tok", Presenter: -1, ServedBy: 0, OK: true},
	}, f.Validations())
}

// A drained replica is idle only once the validation piped to it is over:
// killed before, it would cut the CA's handshake off.
func TestFront_AwaitIdleWaitsForTheValidationInFlight(t *testing.T) {
	f, err := NewFront()
	require.NoError(t, err)
	defer f.Close()
	f.replicaUp(0, 0, alpnReplica(t, "replica-0"))
	f.replicaUp(1, 0, alpnReplica(t, "replica-1"))
	presented(f, 1, "TLS-ALPN-01", "a.test", "tok")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{ServerName: "a.test", NextProtos: []string{acmeTLSProto}, InsecureSkipVerify: true}} //nolint:gosec
	c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(f.TLSPort))
	require.NoError(t, err)
	require.Equal(t, "replica-0", c.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName)
	f.Drain(0)
	require.NoError(t, f.AwaitIdle(ctx, 1), "nothing is in flight to replica 1")

	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	assert.ErrorIs(t, f.AwaitIdle(short, 0), context.DeadlineExceeded, "the handshake's connection is still open")

	_ = c.Close()
	assert.NoError(t, f.AwaitIdle(ctx, 0))
}
