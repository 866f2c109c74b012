package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

// logLine is one JSON log line.
type logLine map[string]any

func (l logLine) str(key string) string { s, _ := l[key].(string); return s }

// parseLogs reads the JSON lines written so far.
func parseLogs(t *testing.T, b *testrig.Buffer) []logLine {
	t.Helper()
	var out []logLine
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l logLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		out = append(out, l)
	}
	return out
}

// lineWith returns the first line carrying every attribute of want.
func lineWith(lines []logLine, want map[string]string) (logLine, bool) {
	for _, l := range lines {
		match := true
		for k, v := range want {
			if l.str(k) != v {
				match = false
				break
			}
		}
		if match {
			return l, true
		}
	}
	return nil, false
}

// lieAbout answers the CA's HTTP-01 validation of one name wrongly.
func lieAbout(name string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		lying := testrig.LieToTheCA(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.Host, name) {
				lying.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// keyBody returns a line from the middle of a PEM private key: text that
// appears in any leak of the key.
func keyBody(t *testing.T, pemKey []byte) string {
	t.Helper()
	b, _ := pem.Decode(pemKey)
	require.NotNil(t, b)
	enc := base64.StdEncoding.EncodeToString(b.Bytes)
	return enc[len(enc)/2 : len(enc)/2+40]
}

// A user who passes a logger sees the whole story of an issuance and of a
// failure, one line per step with the documented attributes (meta.Log*,
// docs/logging.md), and never a secret: not the account key, the
// certificate's key, nor the EAB key.
func TestLogs_TellTheStoryOfAnIssuanceAndOfAFailure(t *testing.T) {
	logs := &testrig.Buffer{}
	mac := make([]byte, 32)
	_, _ = rand.Read(mac)
	eab := base64.RawURLEncoding.EncodeToString(mac)
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithEAB(map[string]string{"kid-1": eab})},
		httpWrap: lieAbout("bad.example.test"),
		config: func(c *certflow.Config) {
			c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		},
	})
	require.NoError(t, h.m.Apply(h.ctx, &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "eab"},
		Data: map[string][]byte{issuer.DefaultEABKeySecretKey: []byte(eab)}}))
	iss := h.acme.Issuer("default", "acme")
	iss.Spec.ACME.ExternalAccountBinding = &issuer.ExternalAccountBinding{KeyID: "kid-1",
		KeySecretRef: solver.SecretKeySelector{Name: "eab", Key: issuer.DefaultEABKeySecretKey}}
	require.NoError(t, h.m.Apply(h.ctx, iss))
	good := testrig.ACMECertificate("default", "good", "acme", "good.example.test")
	bad := testrig.ACMECertificate("default", "bad", "acme", "bad.example.test")
	require.NoError(t, h.m.Apply(h.ctx, good))
	require.NoError(t, h.m.Apply(h.ctx, bad))
	h.waitReady(meta.RefOf(good))

	const goodCert, badCert = "default/good", "default/bad"
	info, warn := slog.LevelInfo.String(), slog.LevelWarn.String()
	story := []struct {
		level string
		attrs map[string]string
	}{
		{info, map[string]string{meta.LogIssuer: "default/acme", meta.LogReason: string(issuer.ReasonACMEAccountRegistered)}},
		{info, map[string]string{meta.LogCertificate: goodCert, meta.LogReason: string(certificate.ReasonRequested),
			meta.LogTrigger: string(certificate.ReasonDoesNotExist), meta.LogIssuer: "default/acme", meta.LogIdentifiers: "good.example.test"}},
		{info, map[string]string{meta.LogRequest: "default/good-1", meta.LogCertificate: goodCert, meta.LogReason: string(request.ReasonOrderCreated)}},
		{info, map[string]string{meta.LogCertificate: goodCert, meta.LogReason: string(order.ReasonCreated), meta.LogIdentifiers: "good.example.test"}},
		{info, map[string]string{meta.LogCertificate: goodCert, meta.LogReason: string(challenge.ReasonPresented),
			meta.LogIdentifier: "good.example.test", meta.LogChallengeType: "HTTP-01"}},
		{info, map[string]string{meta.LogCertificate: goodCert, meta.LogReason: string(challenge.ReasonValid), meta.LogState: "valid",
			meta.LogIdentifier: "good.example.test"}},
		{info, map[string]string{meta.LogCertificate: goodCert, meta.LogReason: string(challenge.ReasonCleanedUp), meta.LogIdentifier: "good.example.test"}},
		{info, map[string]string{meta.LogCertificate: goodCert, meta.LogReason: string(order.ReasonComplete), meta.LogState: "valid"}},
		{info, map[string]string{meta.LogRequest: "default/good-1", meta.LogReason: string(request.ReasonIssued)}},
		{info, map[string]string{meta.LogCertificate: goodCert, meta.LogReason: string(certificate.ReasonIssued), meta.LogState: "Ready=True",
			meta.LogSecret: "default/good-tls"}},

		{warn, map[string]string{meta.LogCertificate: badCert, meta.LogReason: string(challenge.ReasonFailed), meta.LogState: "invalid",
			meta.LogIdentifier: "bad.example.test", meta.LogProblemType: "urn:ietf:params:acme:error:unauthorized"}},
		{warn, map[string]string{meta.LogCertificate: badCert, meta.LogReason: string(order.ReasonFailed), meta.LogState: "invalid"}},
		{warn, map[string]string{meta.LogCertificate: badCert, meta.LogReason: string(certificate.ReasonFailed), meta.LogIdentifiers: "bad.example.test"}},
	}
	var lines []logLine
	require.NoError(t, logs.Await(h.ctx, func(string) bool {
		lines = parseLogs(t, logs)
		for _, s := range story {
			if l, ok := lineWith(lines, s.attrs); !ok || l.str("level") != s.level {
				return false
			}
		}
		return true
	}), "the story lines are logged")
	for _, s := range story {
		l, _ := lineWith(lines, s.attrs)
		assert.NotEmpty(t, l.str("msg"), "%v", s.attrs)
	}
	revision, _ := lineWith(lines, story[9].attrs)
	assert.Equal(t, float64(1), revision[meta.LogRevision], "the issued line carries the revision")
	assert.NotEmpty(t, revision[meta.LogNotAfter])
	failed, _ := lineWith(lines, story[10].attrs)
	assert.Contains(t, failed.str(meta.LogProblemDetail), "key authorization", "the CA's own words")
	for _, l := range lines {
		if l.str(meta.LogChallenge) != "" {
			assert.NotEmpty(t, l.str(meta.LogOrder), "a challenge's line names its order: %v", l)
		}
	}

	text := logs.String()
	accountKey := &secret.Secret{}
	require.NoError(t, h.m.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "acme-account"}, accountKey))
	certSecret := &secret.Secret{}
	require.NoError(t, h.m.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: good.Spec.SecretName}, certSecret))
	for what, s := range map[string]string{
		"the EAB key":             eab,
		"the EAB key, decoded":    string(mac),
		"the account key":         keyBody(t, accountKey.Data[secret.TLSKeyKey]),
		"the certificate's key":   keyBody(t, certSecret.Data[secret.TLSKeyKey]),
		"a PEM private key block": "PRIVATE KEY",
	} {
		assert.NotContains(t, text, s, "%s never reaches a log line", what)
	}
	if t.Failed() {
		fmt.Println(text)
	}
}
