package bindtest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStart_ServesZonesAndTakesSignedUpdates(t *testing.T) {
	s := Start(t, Options{Zones: []Zone{
		{Name: "example.test", Records: []string{"_acme-challenge.alias IN CNAME alias.delegated.test."}},
		{Name: "delegated.test"},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	r, err := s.Query(ctx, "_acme-challenge.alias.example.test.", dns.TypeTXT)
	require.NoError(t, err)
	require.Len(t, r.Answer, 1)
	assert.Equal(t, "alias.delegated.test.", r.Answer[0].(*dns.CNAME).Target)
	assert.Empty(t, s.TXT(t, "_acme-challenge.example.test."))

	m := new(dns.Msg)
	m.SetUpdate("example.test.")
	rr, err := dns.NewRR(`_acme-challenge.example.test. 60 IN TXT "hello"`)
	require.NoError(t, err)
	m.Insert([]dns.RR{rr})
	m.SetTsig(s.KeyName, s.Algorithm, 300, time.Now().Unix())
	c := &dns.Client{TsigSecret: map[string]string{s.KeyName: s.Secret}}
	reply, _, err := c.ExchangeContext(ctx, m, s.Addr)
	require.NoError(t, err)
	require.Equal(t, dns.RcodeSuccess, reply.Rcode)
	assert.Equal(t, []string{"hello"}, s.TXT(t, "_acme-challenge.example.test."))
}

func TestStartStub_AnswersNXDOMAINNODATAAndTruncates(t *testing.T) {
	port := FreePort(t, "127.0.0.1", "127.0.0.2")
	assert.NotZero(t, port)
	st := StartStub(t, "127.0.0.2:0", []string{"example.test"},
		`host.example.test. 60 IN A 127.0.0.1`,
		`_acme-challenge.example.test. 60 IN TXT "v"`)
	require.True(t, strings.HasPrefix(st.Addr, "127.0.0.2:"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	r, err := query(ctx, st.Addr, "missing.example.test.", dns.TypeTXT)
	require.NoError(t, err)
	assert.Equal(t, dns.RcodeNameError, r.Rcode)
	r, err = query(ctx, st.Addr, "host.example.test.", dns.TypeTXT)
	require.NoError(t, err)
	assert.Equal(t, dns.RcodeSuccess, r.Rcode)
	assert.Empty(t, r.Answer)

	st.SetTruncateUDP(true)
	before := st.Queries()
	r, err = query(ctx, st.Addr, "_acme-challenge.example.test.", dns.TypeTXT)
	require.NoError(t, err)
	require.Len(t, r.Answer, 1, "TCP retry gets the full answer")
	assert.Equal(t, before+2, st.Queries(), "one UDP and one TCP query")
}

type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()                      {}
func (r *recordingTB) Fatal(args ...any)            { r.fatal = fmt.Sprint(args...) }
func (r *recordingTB) Skip(args ...any)             { r.skip = fmt.Sprint(args...) }
func (r *recordingTB) Fatalf(f string, args ...any) { r.fatal = fmt.Sprintf(f, args...) }

func TestRequire_MissingNamedFailsUnderCIAndSkipsElsewhere(t *testing.T) {
	ci := &recordingTB{TB: t}
	assert.Empty(t, requireNamed(ci, "", true))
	assert.Contains(t, ci.fatal, "CI=true")
	assert.Empty(t, ci.skip)

	local := &recordingTB{TB: t}
	assert.Empty(t, requireNamed(local, "", false))
	assert.Contains(t, local.skip, "apt-get install")
	assert.Empty(t, local.fatal)

	found := &recordingTB{TB: t}
	assert.Equal(t, "/usr/sbin/named", requireNamed(found, "/usr/sbin/named", true))
	assert.Empty(t, found.fatal+found.skip)
}

func TestStart_PortTakenFailsFastWithNamedsLog(t *testing.T) {
	Require(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	pc, err := net.ListenPacket("udp", l.Addr().String())
	require.NoError(t, err)
	defer pc.Close()

	rec := &recordingTB{TB: t}
	assert.Nil(t, Start(rec, Options{Port: port}))
	assert.Contains(t, rec.fatal, "named exited before it was ready")
	assert.Contains(t, rec.fatal, "--- named.log ---")
	assert.Contains(t, rec.fatal, "unable to listen", "named's own words are shown")
}
