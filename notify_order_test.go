package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// Two writers of one Certificate (two workers, a reconcile and an API
// call) report their writes in the order they get to, not the Store's: a
// Ready written before a write that is not Ready, reported after it, is
// not what the Store holds, and answers nothing; nor does one older than
// a version the waiter read or the watch delivered.
func TestNotify_AWriteReportedAfterANewerOneAnswersNothing(t *testing.T) {
	answers := func(obj meta.Object) bool {
		return obj.(*certificate.Certificate).Status.Conditions.IsTrue(meta.ConditionReady)
	}
	cert := func(version string, ready bool) meta.Object {
		c := written("a", version).(*certificate.Certificate)
		c.ObjectMeta.UID, c.ObjectMeta.Generation = "u1", 1
		if ready {
			c.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue})
		}
		return c
	}
	n := newNotifier()
	_, saw, answered, stop := n.subscribeAnswered(ref("a"), nil, answers)
	defer stop()

	assert.False(t, answered("", 0), "asked before the first read")
	saw("4") // the read: u1 at generation 1, not Ready
	n.notifyWritten(cert("6", false))
	n.notifyWritten(cert("5", true))
	assert.False(t, answered("u1", 1), "a Ready older than the write reported before it")

	n.notifyWritten(cert("8", true))
	n.notifyWritten(cert("7", false))
	assert.True(t, answered("u1", 1), "a write older than the Ready reported before it leaves it the answer")

	saw("9")
	n.notifyWritten(cert("8", true))
	assert.False(t, answered("u1", 1), "a Ready older than the version read")

	n.notify(ref("a"), "11")
	n.notifyWritten(cert("10", true))
	assert.False(t, answered("u1", 1), "a Ready older than the version the watch delivered")

	n.notifyWritten(cert("12", true))
	n.notify(ref("a"), "13")
	assert.False(t, answered("u1", 1), "a Ready the watch then delivered a later version of")

	n.notifyWritten(cert("14", true))
	n.notify(ref("a"), "14")
	assert.True(t, answered("u1", 1), "the watch's delivery of the Ready written")
}
