package e2e

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPebbleExplain_RunningProcess_SaysTheHarnessEndedIt: a benchmark
// that gives up on a live Pebble gets its memory, its last log lines and
// then its goroutines, and the exit status 2 the SIGQUIT causes is marked
// as the harness's (at -benchtime=20x a benchmark that had run out of time
// read as "pebble: exit status 2", and was taken for a crash).
func TestPebbleExplain_RunningProcess_SaysTheHarnessEndedIt(t *testing.T) {
	p := startPebble(t, pebbleConfig{alwaysValid: true, bin: buildPebble(t)})
	lastLogged := lastLines(p.out.String(), 1)
	require.NotEmpty(t, lastLogged, "Pebble logged nothing to recognise")

	msg := p.explain()

	assert.Contains(t, msg, "was running: RSS ")
	tail, dump, ok := strings.Cut(msg, "its goroutines")
	require.True(t, ok, msg)
	assert.Contains(t, tail, lastLogged, "the log lines before the dump")
	assert.Contains(t, dump, "SIGQUIT: quit")
	assert.Contains(t, dump, "goroutine ")
	assert.Contains(t, lastLines(msg, 1), "exit status 2 (after the harness's SIGQUIT, not a crash)")
}

// TestPebbleExplain_ExitedOnItsOwn_ShowsTheCrash: a Pebble that died by
// itself with Go's exit status 2 (here of SIGABRT, as a fatal runtime
// error would) is reported as such, with its log before the crash and the
// crash whole, and is not signalled again.
func TestPebbleExplain_ExitedOnItsOwn_ShowsTheCrash(t *testing.T) {
	p := startPebble(t, pebbleConfig{alwaysValid: true, bin: buildPebble(t)})
	lastLogged := lastLines(p.out.String(), 1)
	require.NotEmpty(t, lastLogged, "Pebble logged nothing to recognise")
	require.NoError(t, p.proc.Signal(syscall.SIGABRT))
	<-p.exited

	msg := p.explain()

	assert.Contains(t, msg, "exited on its own: exit status 2")
	assert.NotContains(t, msg, "harness")
	_, crash, ok := strings.Cut(msg, lastLogged)
	require.True(t, ok, "the log lines before the crash:\n%s", msg)
	assert.Contains(t, crash, "SIGABRT: abort", "the crash after the log lines")
	assert.Contains(t, crash, "goroutine ")
}

func TestCrashTail(t *testing.T) {
	for _, tc := range []struct{ name, out, want string }{
		{"no crash: last lines", "a\nb\nc\n", "a\nb\nc"},
		{"panic kept whole", "log1\nlog2\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n", "log1\nlog2\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n"},
		{"fatal error", "x\nfatal error: concurrent map writes\n", "x\nfatal error: concurrent map writes\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, crashTail(tc.out))
		})
	}
}

func TestLastLines(t *testing.T) {
	assert.Equal(t, "c\nd", lastLines("a\nb\nc\nd\n", 2))
	assert.Equal(t, "a\nb", lastLines("a\nb", 5))
	assert.Equal(t, "", lastLines("", 3))
}
