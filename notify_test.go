package certflow

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// On one processor a waiter woken by a reconcile's write can only run once
// the writer yields: notifyWritten must let it run before the writer goes
// on (yieldAttempts tries: a single yield is overtaken now and then).
func TestNotifyWritten_WaiterRunsBeforeTheWriterGoesOn(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	wokeFirst := func() bool {
		n := newNotifier()
		changed, stop := n.subscribe(ref("a"))
		defer stop()
		var woke atomic.Bool
		parked := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			close(parked)
			<-changed
			woke.Store(true)
		}()
		<-parked // the waiter runs until it blocks on changed before this returns
		n.notifyWritten(written("a", "1"))
		first := woke.Load()
		<-done
		return first
	}
	if !anyAttempt(wokeFirst) {
		t.Errorf("in %d attempts the waiter never ran before the writer went on", yieldAttempts)
	}
}

// With nobody waiting for the object, notifyWritten yields nothing. On
// one processor a goroutine started just before runs first only if the
// caller yields, or is preempted (a loaded machine can stall its thread
// past the scheduler's 10 ms slice): so it must not run first in one of
// yieldAttempts tries; with a yield it runs first in every one.
func TestNotifyWritten_NoWaiterKeepsGoing(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	n := newNotifier()
	_, stop := n.subscribe(ref("other"))
	defer stop()
	keptGoing := func() bool {
		var ran atomic.Bool
		done := make(chan struct{})
		go func() {
			defer close(done)
			ran.Store(true)
		}()
		n.notifyWritten(written("a", "1"))
		first := !ran.Load()
		<-done
		return first
	}
	if !anyAttempt(keptGoing) {
		t.Errorf("in %d attempts notifyWritten yielded though nobody waited", yieldAttempts)
	}
}

// A waiter is not woken again for the version it read (the watch delivers
// a reconcile's write after the write itself woke it), but is for any
// other version, for a deletion, and before it has read anything.
func TestNotify_SkipsTheVersionTheWaiterRead(t *testing.T) {
	n := newNotifier()
	changed, saw, stop := n.subscribeSeen(ref("a"))
	defer stop()
	woken := func() bool { return signalled(changed) }
	n.notify(ref("a"), "1")
	assert.True(t, woken(), "nothing read yet")
	saw("1")
	n.notifyWritten(written("a", "1"))
	n.notify(ref("a"), "1")
	assert.False(t, woken(), "the version read wakes it again")
	n.notify(ref("a"), "2")
	assert.True(t, woken(), "a newer version")
	saw("2")
	n.notify(ref("a"), "")
	assert.True(t, woken(), "a deletion")
	other, stopOther := n.subscribe(ref("a"))
	defer stopOther()
	n.notify(ref("a"), "2")
	assert.False(t, woken(), "the version read")
	assert.Len(t, other, 1, "a waiter that said nothing it read is woken by every change")
}

// A wake that arrives between a waiter's subscription and its read, for
// the very version the read then returns, is dropped by the read: it
// announced nothing the waiter has not seen. One for a later version, a
// deletion, or a re-list stays.
func TestNotify_AReadAnswersTheWakeBeforeIt(t *testing.T) {
	n := newNotifier()
	changed, saw, stop := n.subscribeSeen(ref("a"))
	defer stop()
	n.notify(ref("a"), "1")
	saw("1")
	assert.Empty(t, changed, "the wake for the version read")
	n.notify(ref("a"), "2")
	saw("1")
	assert.Len(t, changed, 1, "a wake for a later version")
	<-changed
	n.notify(ref("a"), "")
	saw("2")
	assert.Len(t, changed, 1, "a deletion")
	<-changed
	n.notifyAll()
	saw("2")
	assert.Len(t, changed, 1, "a re-list")
	<-changed
	// The write of 4 wakes it, then the watch delivers 3: the read that
	// returned 3 (made before 4 was stored) leaves the wake for 4.
	n.notifyWritten(written("a", "4"))
	n.notify(ref("a"), "3")
	saw("3")
	assert.Len(t, changed, 1, "a wake for a later version, then one for the version read")
	<-changed
	// The other order: the watch delivers 5, then the write of 6 finds
	// the wake taken; the read that returned 5 leaves it, for 6.
	n.notify(ref("a"), "5")
	n.notifyWritten(written("a", "6"))
	saw("5")
	assert.Len(t, changed, 1, "a wake for the version read, then one for a later version")
}

// A waiter that read nothing (the object did not exist) is woken by a
// deletion too, as by any change.
func TestNotify_ADeletionWakesAWaiterThatFoundNothing(t *testing.T) {
	n := newNotifier()
	changed, saw, stop := n.subscribeSeen(ref("a"))
	defer stop()
	saw("")
	n.notify(ref("a"), "")
	assert.Len(t, changed, 1)
}

// written is a Certificate as this Manager has just stored it at version.
func written(name, version string) meta.Object {
	return &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: version}}
}

// A waiter that says which objects can end its wait is not woken by a
// write of one that cannot, nor by the watch's delivery of that version;
// a write that can end it, and any change only the watch tells of (it
// carries no object), still wake it.
func TestNotify_AWriteThatCannotEndTheWaitWakesNobody(t *testing.T) {
	n := newNotifier()
	ready := func(obj meta.Object) bool {
		c := obj.(*certificate.Certificate)
		return c.Status.Conditions.Get(meta.ConditionReady) != nil
	}
	changed, saw, stop := n.subscribeUntil(ref("a"), ready)
	defer stop()
	woken := func() bool { return signalled(changed) }
	other, stopOther := n.subscribe(ref("a"))
	defer stopOther()
	saw("1")
	n.notifyWritten(written("a", "2"))
	assert.False(t, woken(), "a write that cannot end the wait")
	assert.Len(t, other, 1, "a waiter without ends is woken by every write")
	<-other
	n.notify(ref("a"), "2")
	assert.False(t, woken(), "the watch's delivery of that write")

	c := written("a", "3").(*certificate.Certificate)
	c.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue})
	n.notifyWritten(c)
	assert.True(t, woken(), "a write that ends the wait")
	n.notify(ref("a"), "4")
	assert.True(t, woken(), "a change only the watch tells of")
}
