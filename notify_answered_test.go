package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// A write that answers the wait by itself answers it only for the object
// the waiter read (same UID) at that spec or a later one: a write of an
// older spec, of a namesake, or one only the watch tells of (no object)
// leaves the waiter to read the Store.
func TestNotify_AWrittenAnswerHoldsForWhatWasRead(t *testing.T) {
	answers := func(obj meta.Object) bool {
		return obj.(*certificate.Certificate).Status.Conditions.IsTrue(meta.ConditionReady)
	}
	ready := func(uid string, generation int64) meta.Object {
		c := written("a", "9").(*certificate.Certificate)
		c.ObjectMeta.UID, c.ObjectMeta.Generation = uid, generation
		c.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue})
		return c
	}
	n := newNotifier()
	_, _, answered, stop := n.subscribeAnswered(ref("a"), nil, answers)
	defer stop()

	// Each ask is made before a read, as WaitReady's are, which forgets
	// a write that did not answer: each case writes anew.
	n.notify(ref("a"), "9")
	assert.False(t, answered("u1", 2), "a change the watch tells of carries no object")
	n.notifyWritten(written("a", "3"))
	assert.False(t, answered("u1", 2), "a write that is not Ready")
	n.notifyWritten(ready("u1", 1))
	assert.False(t, answered("u1", 2), "Ready for a spec older than the one read")
	n.notifyWritten(ready("u1", 1))
	assert.True(t, answered("u1", 1), "Ready for the spec read")
	n.notifyWritten(ready("u2", 2))
	assert.False(t, answered("u1", 2), "a namesake made again")
	n.notifyWritten(ready("u2", 2))
	assert.True(t, answered("u2", 1), "Ready for a later spec of the object read")
	n.notifyWritten(ready("u2", 2))
	assert.False(t, answered("", 0), "nothing read (the Certificate did not exist)")
}

// A written answer the waiter then read past answers nothing: WaitReady
// asks before each read, and the read that follows shows the Store as it
// is since (here: Ready no more, a renewal under way at the same spec), so
// a later wake (the watch's delivery of that renewal's write) must send
// it to read again, not answer with the Ready it read past.
func TestNotify_AReadPastAWrittenAnswerForgetsIt(t *testing.T) {
	answers := func(obj meta.Object) bool {
		return obj.(*certificate.Certificate).Status.Conditions.IsTrue(meta.ConditionReady)
	}
	ready := written("a", "5").(*certificate.Certificate)
	ready.ObjectMeta.UID, ready.ObjectMeta.Generation = "u1", 1
	ready.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue})
	n := newNotifier()
	_, saw, answered, stop := n.subscribeAnswered(ref("a"), nil, answers)
	defer stop()

	n.notifyWritten(ready)
	assert.False(t, answered("", 0), "asked before the first read: nothing read yet")
	saw("6") // the read: u1 at generation 1, not Ready (renewing)
	n.notify(ref("a"), "7")
	assert.False(t, answered("u1", 1), "the Ready written before the read that showed it no more")

	ready.ObjectMeta.ResourceVersion = "8" // written after the read, so later than it
	n.notifyWritten(ready)
	assert.True(t, answered("u1", 1), "a Ready written after the read")
}

// A written answer followed by a write that does not answer (a renewal
// begun at the same spec) answers nothing, even if both came between an
// ask and the read: the read shows the later write, and the next wake
// must send the waiter to read again, not answer with the Ready before it.
func TestNotify_ALaterWriteThatDoesNotAnswerForgetsTheAnswer(t *testing.T) {
	answers := func(obj meta.Object) bool {
		return obj.(*certificate.Certificate).Status.Conditions.IsTrue(meta.ConditionReady)
	}
	ready := written("a", "5").(*certificate.Certificate)
	ready.ObjectMeta.UID, ready.ObjectMeta.Generation = "u1", 1
	ready.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue})
	renewing := written("a", "6").(*certificate.Certificate)
	renewing.ObjectMeta.UID, renewing.ObjectMeta.Generation = "u1", 1
	n := newNotifier()
	_, saw, answered, stop := n.subscribeAnswered(ref("a"), nil, answers)
	defer stop()

	assert.False(t, answered("", 0), "asked before the first read")
	n.notifyWritten(ready)
	n.notifyWritten(renewing)
	saw("6") // the read: u1 at generation 1, not Ready
	n.notify(ref("a"), "7")
	assert.False(t, answered("u1", 1), "the Ready written before the write the read showed")
}
