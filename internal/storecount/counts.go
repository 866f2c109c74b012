package storecount

import (
	"fmt"
	"strings"
)

// Counts is how many calls of each operation were made.
type Counts struct{ n [numOps]int64 }

// Of returns the count of op.
func (c Counts) Of(op Op) int64 {
	if op < 0 || op >= numOps {
		return 0
	}
	return c.n[op]
}

// Sub returns c minus before: the calls made between two readings.
func (c Counts) Sub(before Counts) Counts {
	var out Counts
	for i := range out.n {
		out.n[i] = c.n[i] - before.n[i]
	}
	return out
}

// Total is every call counted.
func (c Counts) Total() int64 {
	var t int64
	for _, n := range c.n {
		t += n
	}
	return t
}

// Writes is the calls that change objects: Create, Update and Delete.
func (c Counts) Writes() int64 { return c.n[Create] + c.n[Update] + c.n[Delete] }

// String lists the non-zero counts ("get=3 update=1"), or "none".
func (c Counts) String() string {
	var parts []string
	for i, n := range c.n {
		if n != 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", Op(i), n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}
