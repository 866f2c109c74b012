package measure

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Spender is who spent CPU in an idle window, told by the function a
// profiled stack starts from (or a frame on it).
type Spender int

// The spenders, in the order the report lists them.
const (
	SpentMarking   Spender = iota // the collector's mark workers and assists
	SpentSweeping                 // the background sweeper
	SpentScavenger                // returning free pages to the OS
	SpentManager                  // the Manager's and its Store's goroutines
	SpentProgram                  // this program's own (its watcher)
	SpentRuntime                  // scheduler, timers, network poller, the rest of the runtime
	spenders
)

var spenderNames = [spenders]string{"GC marking", "sweeping", "scavenger", "Manager", "this program", "scheduler and timers"}

func (s Spender) String() string { return spenderNames[s] }

// ProfileSplit is a CPU profile's time by Spender.
type ProfileSplit [spenders]time.Duration

// Total is the profile's CPU time.
func (p ProfileSplit) Total() time.Duration {
	var t time.Duration
	for _, d := range p {
		t += d
	}
	return t
}

// String is "GC marking A, sweeping B, …".
func (p ProfileSplit) String() string {
	parts := make([]string, 0, spenders)
	for s, d := range p {
		parts = append(parts, fmt.Sprintf("%s %v", Spender(s), d.Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

// spenderOf classifies a stack, its frames' function names leaf first.
func spenderOf(frames []string) Spender {
	for _, f := range frames {
		switch {
		case f == "runtime.gcBgMarkWorker" || f == "runtime.gcAssistAlloc" || f == "runtime.gcStart" ||
			f == "runtime.markroot" || f == "runtime.gcDrain" || f == "runtime.gcMarkDone" ||
			f == "runtime.gcMarkTermination" || f == "runtime.forcegchelper":
			return SpentMarking
		case f == "runtime.bgsweep" || f == "runtime.sweepone":
			return SpentSweeping
		case f == "runtime.bgscavenge" || f == "runtime.(*pageAlloc).scavenge":
			return SpentScavenger
		case strings.HasPrefix(f, "github.com/certflow/certflow/cmd/") ||
			strings.HasPrefix(f, "github.com/certflow/certflow/internal/cputime."): // only measurement uses it
			return SpentProgram
		case strings.HasPrefix(f, "github.com/certflow/certflow"):
			return SpentManager
		}
	}
	return SpentRuntime
}

// splitProfile reads a CPU profile as runtime/pprof writes it (gzipped
// protocol buffers, profile.proto) and adds its CPU time up by Spender.
func splitProfile(gz []byte) (ProfileSplit, error) {
	var split ProfileSplit
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return split, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return split, err
	}
	var (
		samples   []profSample
		locations = map[uint64][]uint64{} // location → function ids, innermost first
		functions = map[uint64]int64{}    // function → name's string index
		strs      []string
		nValues   int
	)
	err = eachField(raw, func(num int, v uint64, b []byte) error {
		switch num {
		case 1: // sample_type
			nValues++
		case 2:
			s, err := readSample(b)
			samples = append(samples, s)
			return err
		case 4:
			id, fns, err := readLocation(b)
			locations[id] = fns
			return err
		case 5:
			var id uint64
			var name int64
			err := eachField(b, func(num int, v uint64, _ []byte) error {
				switch num {
				case 1:
					id = v
				case 2:
					name = int64(v)
				}
				return nil
			})
			functions[id] = name
			return err
		case 6:
			strs = append(strs, string(b))
		}
		return nil
	})
	if err != nil {
		return split, err
	}
	if nValues < 2 {
		return split, errors.New("measure: not a CPU profile")
	}
	name := func(fn uint64) string {
		if i, ok := functions[fn]; ok && i >= 0 && int(i) < len(strs) {
			return strs[i]
		}
		return ""
	}
	var frames []string
	for _, s := range samples {
		if len(s.values) < 2 {
			continue
		}
		frames = frames[:0]
		for _, loc := range s.locations {
			for _, fn := range locations[loc] {
				frames = append(frames, name(fn))
			}
		}
		split[spenderOf(frames)] += time.Duration(s.values[1])
	}
	return split, nil
}

type profSample struct {
	locations []uint64
	values    []int64
}

func readSample(b []byte) (profSample, error) {
	var s profSample
	err := eachField(b, func(num int, v uint64, packed []byte) error {
		switch num {
		case 1:
			if packed == nil {
				s.locations = append(s.locations, v)
				return nil
			}
			return eachVarint(packed, func(v uint64) { s.locations = append(s.locations, v) })
		case 2:
			if packed == nil {
				s.values = append(s.values, int64(v))
				return nil
			}
			return eachVarint(packed, func(v uint64) { s.values = append(s.values, int64(v)) })
		}
		return nil
	})
	return s, err
}

// readLocation returns a location's id and its lines' functions,
// innermost (inlined) first, as profile.proto orders them.
func readLocation(b []byte) (uint64, []uint64, error) {
	var (
		id  uint64
		fns []uint64
	)
	err := eachField(b, func(num int, v uint64, line []byte) error {
		switch num {
		case 1:
			id = v
		case 4:
			return eachField(line, func(num int, v uint64, _ []byte) error {
				if num == 1 {
					fns = append(fns, v)
				}
				return nil
			})
		}
		return nil
	})
	return id, fns, err
}

// eachField calls f with each field of a protocol buffer message: its
// number and its value if a varint, or its bytes if length-delimited (nil
// otherwise).
func eachField(b []byte, f func(num int, v uint64, bytes []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("measure: bad profile")
		}
		b = b[n:]
		num, wire := int(key>>3), key&7
		var (
			v    uint64
			body []byte
		)
		switch wire {
		case 0:
			v, n = binary.Uvarint(b)
			if n <= 0 {
				return errors.New("measure: bad profile")
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return errors.New("measure: bad profile")
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return errors.New("measure: bad profile")
			}
			body, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return errors.New("measure: bad profile")
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return errors.New("measure: bad profile")
		}
		if err := f(num, v, body); err != nil {
			return err
		}
	}
	return nil
}

func eachVarint(b []byte, f func(uint64)) error {
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("measure: bad profile")
		}
		f(v)
		b = b[n:]
	}
	return nil
}
