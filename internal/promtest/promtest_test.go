package promtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()                      {}
func (r *recordingTB) Fatal(args ...any)            { r.fatal = fmt.Sprint(args...) }
func (r *recordingTB) Skip(args ...any)             { r.skip = fmt.Sprint(args...) }
func (r *recordingTB) Fatalf(f string, args ...any) { r.fatal = fmt.Sprintf(f, args...) }

func TestRequire_MissingPrometheusFailsUnderCIAndSkipsElsewhere(t *testing.T) {
	ci := &recordingTB{TB: t}
	assert.Equal(t, Binaries{}, requireBinaries(ci, "/usr/bin/prometheus", "", true))
	assert.Contains(t, ci.fatal, "CI=true")
	assert.Empty(t, ci.skip)

	local := &recordingTB{TB: t}
	assert.Equal(t, Binaries{}, requireBinaries(local, "", "/usr/bin/promtool", false))
	assert.Contains(t, local.skip, "apt-get install")
	assert.Empty(t, local.fatal)

	found := &recordingTB{TB: t}
	assert.Equal(t, Binaries{Prometheus: "/usr/bin/prometheus", Promtool: "/usr/bin/promtool"},
		requireBinaries(found, "/usr/bin/prometheus", "/usr/bin/promtool", true))
	assert.Empty(t, found.fatal+found.skip)
}

func TestStart_ScrapesTheTargetAndAnswersQueries(t *testing.T) {
	bin := Require(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprint(w, "# HELP promtest_answer The answer.\n# TYPE promtest_answer gauge\npromtest_answer{kind=\"test\"} 42\n")
	}))
	defer target.Close()
	p := Start(t, bin, target.Listener.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	got := p.Await(t, ctx, `promtest_answer`, func(s []Sample) bool { return len(s) == 1 })
	assert.Equal(t, 42.0, got[0].Value)
	assert.Equal(t, "test", got[0].Labels["kind"])
	assert.Equal(t, "certflow", got[0].Labels["job"])

	_, err := p.Query(ctx, `promtest_answer{`)
	assert.ErrorContains(t, err, "parse error")
}

func TestCheckMetrics_PassesCleanAndFailsLintedExpositions(t *testing.T) {
	bin := Require(t)
	out, err := CheckMetrics(bin, []byte("# HELP promtest_requests_total Requests.\n# TYPE promtest_requests_total counter\npromtest_requests_total 1\n"))
	require.NoError(t, err, out)

	out, err = CheckMetrics(bin, []byte("# HELP promtest_requests Requests.\n# TYPE promtest_requests counter\npromtest_requests 1\n"))
	require.Error(t, err)
	assert.Contains(t, out, `should have "_total" suffix`)
}
