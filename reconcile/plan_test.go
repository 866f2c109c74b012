package reconcile_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
)

func TestPlan_IdleOnlyWhenItChangesNothing(t *testing.T) {
	obj := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "s"}}
	later := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	withEvent := reconcile.Plan{Object: obj}
	withEvent.Eventf(meta.EventNormal, "Seen", "seen")
	for _, tc := range []struct {
		name string
		plan reconcile.Plan
		idle bool
	}{
		{"nothing", reconcile.Plan{Object: obj}, true},
		{"only when to look again", reconcile.Wait(obj, later), true},
		{"a write", reconcile.Plan{Object: obj, Write: true}, false},
		{"a child to create", reconcile.Plan{Object: obj, Create: []meta.Object{obj}}, false},
		{"a child to delete", reconcile.Plan{Object: obj, Delete: []reconcile.Deletion{{Ref: meta.RefOf(obj)}}}, false},
		{"an event", withEvent, false},
		{"an effect", reconcile.Plan{Object: obj, Effect: &reconcile.Effect{Name: "call"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.idle, tc.plan.Idle()) })
	}
}
