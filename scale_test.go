package certflow

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// scaleEnv overrides how many Certificates TestWaitReady_ManyCertificates
// issues (CERTFLOW_SCALE_CERTS=100000 for the 100k run of issue 11).
const scaleEnv = "CERTFLOW_SCALE_CERTS"

// scaleCerts is the number of Certificates to issue: the environment's, or
// 10,000 (2,000 under the race detector, which makes each issuance several
// times slower, so that CI stays within a minute on two cores).
func scaleCerts(t *testing.T) int {
	if v := os.Getenv(scaleEnv); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, scaleEnv)
		require.Positive(t, n, scaleEnv)
		return n
	}
	if raceEnabled {
		return 2000
	}
	return 10000
}

// TestWaitReady_ManyCertificates issues many Certificates through one CA
// Issuer on the memory store with a WaitReady for each, started before its
// Certificate exists: every WaitReady returns, and the Manager's watch is
// never re-listed (nothing is compacted that the Manager still needs).
func TestWaitReady_ManyCertificates(t *testing.T) {
	t.Parallel() // its own Store and Manager: runs beside the package's other long tests
	n := scaleCerts(t)
	ctx := testrig.ContextAtLeast(t, 3*time.Minute+time.Duration(n)*10*time.Millisecond)
	relists := &logCounter{msg: "store watch restarted"}
	st := memory.New()
	m, err := New(Config{Store: st, Logger: slog.New(relists)})
	require.NoError(t, err)
	stop := testrig.Run(t, ctx, time.Minute, m.Run)
	defer stop()

	const ns = "scale"
	require.NoError(t, m.Apply(ctx, testrig.CASecret(t, ns, "ca-key", clock.Real{}.Now())))
	require.NoError(t, m.Apply(ctx, testrig.CAIssuer(ns, "ca", "ca-key")))

	start := time.Now()
	refs := make([]meta.Ref, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	var returned atomic.Int64
	for i := range refs {
		refs[i] = testrig.CertRef(ns, fmt.Sprintf("c%d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.WaitReady(ctx, refs[i])
			returned.Add(1)
		}()
	}
	for i, ref := range refs {
		require.NoError(t, m.Apply(ctx, testrig.Certificate(ns, ref.Name, "ca", fmt.Sprintf("c%d.scale.test", i))))
	}
	wg.Wait()
	elapsed := time.Since(start)

	var hung, notReady []string
	for i, err := range errs {
		if err == nil {
			continue
		}
		c := &certificate.Certificate{}
		if st.Get(context.Background(), refs[i], c) == nil && testrig.CertReady(c) {
			hung = append(hung, refs[i].Name)
		} else {
			notReady = append(notReady, refs[i].Name)
		}
	}
	heap, rss := memoryAfterGC()
	t.Logf("%d certificates: %v (%.0f/s), %d WaitReady returned, %d hung although Ready, %d not Ready; "+
		"%d re-lists; store revision %d; heap in use %d MiB, RSS %d MiB",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), returned.Load(), len(hung), len(notReady),
		relists.count.Load(), st.Revision(), heap>>20, rss>>20)
	assert.Empty(t, hung, "WaitReady did not return for Ready Certificates")
	assert.Empty(t, notReady, "Certificates not Ready in time")
	assert.Zero(t, relists.count.Load(), "the Manager's watch was cut and everything listed again")
}

// memoryAfterGC returns the heap in use after a collection and the
// process's resident set (0 where /proc is absent).
func memoryAfterGC() (heap, rss uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ms.HeapInuse, 0
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return ms.HeapInuse, kb << 10
		}
	}
	return ms.HeapInuse, 0
}

// logCounter is a slog.Handler that counts the records with one message
// and drops every record.
type logCounter struct {
	msg   string
	count atomic.Int64
}

func (c *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (c *logCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == c.msg {
		c.count.Add(1)
	}
	return nil
}

func (c *logCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *logCounter) WithGroup(string) slog.Handler      { return c }
