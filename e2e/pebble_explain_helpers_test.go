package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// explainTailLines is how many of Pebble's last log lines a failure shows:
// enough to see the requests it was serving, few enough to read.
const explainTailLines = 40

// explain says what the process was doing when a benchmark gave up on it.
// If it had exited on its own (a panic, a fatal runtime error), it says so
// and shows its last output, the crash whole. If it is running, it shows
// its memory, how many orders it holds, its last log lines, and then its
// goroutines: the harness ends it with SIGQUIT for them, and the exit
// status 2 that follows is the harness's doing, which the message says (a
// benchmark that ran out of time once read as Pebble crashing).
func (p *pebbleProcess) explain() string {
	select {
	case <-p.exited:
		return fmt.Sprintf("pebble (pid %d) exited on its own: %v; its last output:\n%s",
			p.pid, p.exitErr, crashTail(p.out.String()))
	default:
	}
	before := p.out.String()
	state := fmt.Sprintf("pebble (pid %d) was running: %s%s", p.pid, procMemory(p.pid), ordersHeld(before))
	p.quit.Store(true)
	_ = p.proc.Signal(syscall.SIGQUIT)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		state += "; it did not exit within 5s of SIGQUIT"
	}
	after := p.out.String()
	dump := after
	if i := strings.Index(after, "\nSIGQUIT: quit"); i >= 0 {
		dump = after[i+1:]
	}
	return fmt.Sprintf("%s\nits last %d lines of output:\n%s\n"+
		"its goroutines (the harness sent SIGQUIT for them; Go exits with status 2 on it):\n%s",
		state, explainTailLines, lastLines(before, explainTailLines), dump)
}

// crashMarkers start what the Go runtime prints when a program dies of a
// panic, a fatal error or a signal it does not handle.
var crashMarkers = []string{"\npanic: ", "\nfatal error: ", "\nSIGABRT: ", "\nSIGSEGV: ", "\nSIGQUIT: "}

// crashTail is the end of out worth reading after an exit: the last log
// lines before the crash and the crash whole, else the last lines.
func crashTail(out string) string {
	at := -1
	for _, m := range crashMarkers {
		if i := strings.Index(out, m); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at < 0 {
		return lastLines(out, explainTailLines)
	}
	return lastLines(out[:at], explainTailLines/2) + out[at:]
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// procMemory is the resident memory of process pid now and at its peak.
func procMemory(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "memory unknown"
	}
	var rss, peak string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) < 2:
		case f[0] == "VmRSS:":
			rss = f[1]
		case f[0] == "VmHWM:":
			peak = f[1]
		}
	}
	return fmt.Sprintf("RSS %s kB (peak %s kB)", rss, peak)
}

// ordersLogged matches the line Pebble logs after storing an order.
var ordersLogged = regexp.MustCompile(`There are now (\d+) orders in the db`)

// ordersHeld says how many orders Pebble holds, from its last such line:
// it keeps every order and authorization in memory, and each new order
// scans them all.
func ordersHeld(out string) string {
	m := ordersLogged.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return ""
	}
	return ", " + m[len(m)-1][1] + " orders held"
}
