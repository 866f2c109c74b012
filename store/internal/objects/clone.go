package objects

import (
	"maps"
	"slices"
	"time"

	"github.com/certflow/certflow/meta"
)

// CloneMeta returns a deep copy of m: maps, the owner slice and the time
// pointers are fresh, so neither side can change the other.
func CloneMeta(m *meta.ObjectMeta) meta.ObjectMeta {
	c := *m
	if m.Labels != nil {
		c.Labels = maps.Clone(m.Labels)
	}
	if m.Annotations != nil {
		c.Annotations = maps.Clone(m.Annotations)
	}
	if m.OwnerRefs != nil {
		c.OwnerRefs = slices.Clone(m.OwnerRefs)
	}
	c.CreationTime = cloneTime(m.CreationTime)
	c.DeletionTime = cloneTime(m.DeletionTime)
	return c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
