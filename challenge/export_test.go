package challenge

import (
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
func LongFetchWait(t *testing.T) { FetchWait(t, time.Minute) }

// FetchWait makes the wait for the CA's fetches last up to d until t ends.
func FetchWait(t *testing.T, d time.Duration) {
	old := maxFetchWaitNS.Swap(int64(d))
	t.Cleanup(func() { maxFetchWaitNS.Store(old) })
}

// LearnFetches makes f know that the CA at directory fetches an answer n
// times before its verdict.
func LearnFetches(f *Fetches, directory string, n int32) {
	f.of(directory).want.Store(n)
}

// SweepEvery is how many fetch watches start between sweeps of stale ones.
const SweepEvery = sweepEvery

// FetchWatches counts f's fetch watches.
func FetchWatches(f *Fetches) (n int) {
	f.m.Range(func(any, any) bool { n++; return true })
	return n
}

// AgeFetchWatches makes f's fetch watches, and their pending looks, look
// started by long ago.
func AgeFetchWatches(f *Fetches, by time.Duration) {
	f.m.Range(func(_, w any) bool {
		w.(*fetchWatch).since = w.(*fetchWatch).since.Add(-by)
		return true
	})
	f.looks.Range(func(token, v any) bool {
		l := v.(fetchLook)
		l.since = l.since.Add(-by)
		f.looks.Store(token, l)
		return true
	})
}

// KeepFetchWatch starts a watch of token's fetches kept until its verdict,
// as an accept's.
func KeepFetchWatch(f *Fetches, token string) {
	w, _ := f.watch(token)
	w.kept.Store(true)
}

// LookAfterFetch records, as an accept's wait for the CA's fetch does,
// that the next look at token's authorization follows a fetch.
func LookAfterFetch(f *Fetches, token string) { f.lookAfter(token, time.Millisecond) }

// FetchLooks counts f's pending looks after a fetch.
func FetchLooks(f *Fetches) (n int) {
	f.looks.Range(func(any, any) bool { n++; return true })
	return n
}

// FetchedKind is the learned pause's kind for the look after the CA's fetch.
const FetchedKind = fetchedKind
