package meta

import (
	"maps"
	"slices"
	"time"
)

// CloneMeta returns a deep copy of m: maps, the owner slice and the time
// pointers are fresh, so neither side can change the other.
func CloneMeta(m *ObjectMeta) ObjectMeta {
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
	c.CreationTime = CloneTime(m.CreationTime)
	c.DeletionTime = CloneTime(m.DeletionTime)
	return c
}

// CloneTime returns a fresh copy of t (nil for nil).
func CloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
