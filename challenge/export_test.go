package challenge

import (
	"sync/atomic"
	"testing"
	"time"
)

// OwnersTrustedFor is ownersTrustedFor, for the tests that pin it.
const OwnersTrustedFor = ownersTrustedFor

// UnseenBeforeSkip is the fetch wait's gate, for the test that pins it.
const UnseenBeforeSkip = unseenBeforeSkip

// LongFetchWait makes the wait for the CA's fetches last up to a minute
// until t ends: a test whose CA fetches a few milliseconds late passes
// however loaded the machine is.
func LongFetchWait(t *testing.T) {
	old := maxFetchWait
	maxFetchWait = time.Minute
	t.Cleanup(func() { maxFetchWait = old })
}

// LearnFetches makes f know that the CA at directory fetches an answer n
// times before its verdict.
func LearnFetches(f *Fetches, directory string, n int32) {
	c, _ := f.perAccept.LoadOrStore(directory, new(atomic.Int32))
	c.(*atomic.Int32).Store(n)
}
