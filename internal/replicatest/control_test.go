package replicatest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// controlled is a heldStore served over pipes, as a replica serves its
// parent: commands go in, reports come out.
type controlled struct {
	t       *testing.T
	ctx     context.Context
	st      *heldStore
	in      *io.PipeWriter
	reports chan Report
	seq     int64
}

func newControlled(t *testing.T, ctl *Control) *controlled {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	rep := newReporter(outW)
	c := &controlled{t: t, ctx: ctx, st: newHeldStore(memory.New(), ctl, rep), in: inW, reports: make(chan Report, 64)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		serveCommands(inR, c.st, rep)
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			var r Report
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				c.reports <- r
			}
		}
	}()
	t.Cleanup(func() {
		_ = inW.Close()
		<-served
		_ = outW.Close()
	})
	return c
}

// next returns the next report.
func (c *controlled) next() Report {
	c.t.Helper()
	select {
	case r := <-c.reports:
		return r
	case <-c.ctx.Done():
		c.t.Fatal("no report")
		return Report{}
	}
}

// command sends op and returns its acknowledgement's error.
func (c *controlled) command(op controlOp) string {
	c.t.Helper()
	c.seq++
	line, err := json.Marshal(command{Seq: c.seq, Op: op})
	require.NoError(c.t, err)
	_, err = c.in.Write(append(line, '\n'))
	require.NoError(c.t, err)
	r := c.next()
	require.Equal(c.t, ReportAck, r.Type)
	require.Equal(c.t, c.seq, r.Seq)
	return r.Err
}

// Run in a bubble (testing/synctest), so that "not taken while held" is
// checked once every goroutine has gone as far as it can: a broken hold
// would have let the claim through by then.
func TestControl_HoldsMatchingClaimsUntilOpened(t *testing.T) {
	synctest.Test(t, testControlHoldsMatchingClaimsUntilOpened)
}

func testControlHoldsMatchingClaimsUntilOpened(t *testing.T) {
	c := newControlled(t, &Control{HoldClaims: []ClaimPattern{{Prefix: "challenge:", Suffix: ":accept"}}})
	_, err := c.st.Acquire(c.ctx, "challenge:x:present", "me", time.Minute)
	require.NoError(t, err, "a claim the Control does not name is taken at once")

	taken := make(chan error, 1)
	go func() {
		_, err := c.st.Acquire(c.ctx, "challenge:x:accept", "me", time.Minute)
		taken <- err
	}()
	r := c.next()
	require.Equal(t, ReportClaimHeld, r.Type)
	assert.Equal(t, "challenge:x:accept", r.Claim)
	synctest.Wait()
	select {
	case err := <-taken:
		t.Fatalf("a held claim was taken before the claims were opened: %v", err)
	default:
	}

	require.Empty(t, c.command(opOpenClaims))
	require.NoError(t, <-taken, "taken once opened")
	_, err = c.st.Acquire(c.ctx, "challenge:y:accept", "me", time.Minute)
	require.NoError(t, err, "nothing is held once opened")
}

// A change made after HoldWatch's acknowledgement is reported held and
// reaches the watcher only after the release, in order with what follows.
// Run in a bubble (testing/synctest), so that "not offered while held" is
// checked once the watch has gone as far as it can: a broken hold would
// be offering the change by then.
func TestControl_HoldsTheWatchUntilReleased(t *testing.T) {
	synctest.Test(t, testControlHoldsTheWatchUntilReleased)
}

func testControlHoldsTheWatchUntilReleased(t *testing.T) {
	c := newControlled(t, &Control{})
	res, err := c.st.List(c.ctx, store.ListOptions{Kind: meta.KindIssuer})
	require.NoError(t, err)
	events, err := c.st.Watch(c.ctx, res.Revision)
	require.NoError(t, err)

	require.Empty(t, c.command(opHoldWatch))
	first := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "first"}, Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}}
	require.NoError(t, c.st.Create(c.ctx, first))
	r := c.next()
	require.Equal(t, ReportWatchHeld, r.Type)
	assert.Equal(t, meta.RefOf(first), r.Ref)
	assert.Equal(t, string(store.Added), r.Change)
	// Reported means read from the Store and kept: it is not offered.
	synctest.Wait()
	select {
	case ev := <-events:
		t.Fatalf("delivered while held: %+v", ev)
	default:
	}
	second := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "second"}, Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}}
	require.NoError(t, c.st.Create(c.ctx, second))
	require.Equal(t, meta.RefOf(second), c.next().Ref, "each held change is reported")

	require.Empty(t, c.command(opReleaseWatch))
	for _, want := range []meta.Ref{meta.RefOf(first), meta.RefOf(second)} {
		select {
		case ev := <-events:
			assert.Equal(t, want, ev.Ref)
		case <-c.ctx.Done():
			t.Fatalf("%s not delivered after the release", want)
		}
	}
}

func TestControl_RefusesUnknownCommands(t *testing.T) {
	c := newControlled(t, &Control{})
	assert.Equal(t, "unknown command dance", c.command("dance"))
}

// A replica without a Control refuses every command, and still stops when
// its input ends.
func TestControl_NotControlled(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveCommands(inR, nil, newReporter(outW))
	}()
	go func() {
		_, _ = inW.Write([]byte(`{"seq":7,"op":"holdWatch"}` + "\n"))
	}()
	var r Report
	require.NoError(t, json.NewDecoder(outR).Decode(&r))
	assert.Equal(t, Report{Type: ReportAck, Seq: 7, Err: ErrNotControlled.Error()}, r)
	require.NoError(t, inW.Close())
	<-done
}
