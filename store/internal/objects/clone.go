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

// Compare orders references as List returns them: by namespace, then name, then
// kind (so a List across kinds is still deterministic).
func Compare(a, b meta.Ref) int {
	if a.Namespace != b.Namespace {
		if a.Namespace < b.Namespace {
			return -1
		}
		return 1
	}
	if a.Name != b.Name {
		if a.Name < b.Name {
			return -1
		}
		return 1
	}
	if a.Kind != b.Kind {
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	}
	return 0
}
