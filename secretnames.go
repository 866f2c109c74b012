package certflow

import (
	"slices"
	"sync"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// secretNameIndex names the Certificates of each namespace by their
// certificate.LabelSecretName, kept from the Store watch, so that a
// Certificate finds the others naming its Secret by reading them, not by
// listing every Certificate of its namespace (certificate.Options.Siblings).
// The watch delivers changes in order and the index is updated before the
// change is queued, so a Certificate being reconciled finds every
// Certificate stored before it.
type secretNameIndex struct {
	mu    sync.Mutex
	names map[secretNameKey][]string // usually one name
	// labelOf is each Certificate's label: a refTable rather than a map
	// keyed by meta.Ref, ~50 bytes a Certificate instead of ~110.
	labelOf refTable[string]
}

type secretNameKey struct{ namespace, label string }

// set records the labels of Certificate ref after a change.
func (x *secretNameIndex) set(ref meta.Ref, labels map[string]string) {
	label, ok := labels[certificate.LabelSecretName]
	x.mu.Lock()
	defer x.mu.Unlock()
	if id, had := x.labelOf.lookup(ref); had {
		old := *x.labelOf.at(id)
		if ok && old == label {
			return
		}
		x.removeLocked(ref, id, old)
	}
	if !ok {
		return
	}
	if x.names == nil {
		x.names = map[secretNameKey][]string{}
	}
	k := secretNameKey{ref.Namespace, label}
	x.names[k] = append(x.names[k], ref.Name)
	id, _ := x.labelOf.intern(ref)
	*x.labelOf.at(id) = label
}

// forget drops a deleted Certificate.
func (x *secretNameIndex) forget(ref meta.Ref) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if id, had := x.labelOf.lookup(ref); had {
		x.removeLocked(ref, id, *x.labelOf.at(id))
	}
}

func (x *secretNameIndex) removeLocked(ref meta.Ref, id int32, label string) {
	k := secretNameKey{ref.Namespace, label}
	names := slices.DeleteFunc(x.names[k], func(n string) bool { return n == ref.Name })
	if len(names) == 0 {
		delete(x.names, k)
	} else {
		x.names[k] = names
	}
	x.labelOf.release(id)
}

// reset rebuilds the index from a list of the whole Store. A Certificate
// whose metadata cannot be read is left out; its reconcile fails on it too.
func (x *secretNameIndex) reset(items []store.Raw) {
	fresh := &secretNameIndex{}
	for _, raw := range items {
		if raw.Ref.Kind != meta.KindCertificate {
			continue
		}
		if om, err := rawMeta(raw); err == nil {
			fresh.set(raw.Ref, om.Labels)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.names, x.labelOf = fresh.names, fresh.labelOf
}

// named returns the names of the Certificates of namespace labelled label.
func (x *secretNameIndex) named(namespace, label string) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.names[secretNameKey{namespace, label}])
}
