package measure

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Memory is the process's memory at one moment.
type Memory struct {
	// HeapAlloc is the bytes of heap objects (runtime.MemStats.HeapAlloc):
	// after a collection, what is live.
	HeapAlloc uint64
	// HeapInuse is the bytes of the heap's spans in use
	// (runtime.MemStats.HeapInuse): HeapAlloc plus the free room in
	// partly used spans.
	HeapInuse uint64
	// RSS is the resident set (VmRSS); 0 where /proc is absent.
	RSS uint64
}

// readMemory reads the heap as it is (collect first for a settled heap).
func readMemory() Memory {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Memory{HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse, RSS: rss()}
}

// settledMemory collects garbage first, so the heap is what is live.
func settledMemory() Memory {
	runtime.GC()
	return readMemory()
}

// rss is the resident set in bytes (VmRSS), or 0. It reads
// /proc/self/statm, one line of counters, not /proc/self/status, which
// the kernel builds from ~60 lines: where the kernel's peak cannot be
// reset the idle window samples it every second, and that CPU counts in
// the window's.
func rss() uint64 {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(statm))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(fields[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// peakRSS is the largest resident set (VmHWM) in bytes since the process
// started or resetPeakRSS, or 0.
func peakRSS() uint64 { return procStatus("VmHWM:") }

// resetPeakRSS makes VmHWM start again from the resident set as it is
// (Linux's clear_refs, "5"), so peakRSS is the peak of what follows, not
// of the process's start. Where that cannot be done (no /proc, a kernel
// before 4.0) it stays the peak since the start, and it reports false.
func resetPeakRSS() bool {
	f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	_, err = f.WriteString("5")
	return errors.Join(err, f.Close()) == nil
}

// procStatus reads the line of /proc/self/status that starts with key, in
// bytes, or 0.
func procStatus(key string) uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
