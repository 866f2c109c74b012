package certificate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Certificate whose spec was changed in the Store without Default keeps
// stale validation names; its next decision writes them anew before it
// issues anything. One stored before the annotation existed is not written
// for it.
func TestDecide_StaleValidationNamesAreWrittenAnew(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := harnessCert("web", "web-tls", "web.example.test")
	c.Default()
	c.Spec.DNSNames = append(c.Spec.DNSNames, "new.example.test")
	plan := decide(&Snapshot{Cert: c, Now: now})
	require.True(t, plan.Write, "the stale names are written")
	got, ok := plan.Object.(*Certificate)
	require.True(t, ok)
	assert.Equal(t, "new.example.test,web.example.test", got.ObjectMeta.Annotations[AnnotationValidationNames])
	assert.Empty(t, plan.Create, "nothing is issued on stale names")
	assert.Equal(t, "web.example.test", c.ObjectMeta.Annotations[AnnotationValidationNames], "the snapshot's Certificate is not modified")

	old := harnessCert("old", "old-tls", "old.example.test")
	old.Default()
	delete(old.ObjectMeta.Annotations, AnnotationValidationNames)
	plan = decide(&Snapshot{Cert: old, Now: now})
	if got, ok := plan.Object.(*Certificate); ok {
		_, annotated := got.ObjectMeta.Annotations[AnnotationValidationNames]
		assert.False(t, annotated, "a Certificate stored before the annotation is not annotated by its reconciler")
	}
}
