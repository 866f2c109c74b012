package certflow

import (
	"hash/maphash"
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
	mu sync.Mutex
	// heads finds the Certificates labelled alike: by a hash of their
	// namespace and label, the id+1 of the first of a chain threaded
	// through labelOf (secretLabel.next), which holds every Certificate
	// whose namespace and label hash alike (named compares them). A map
	// of 12 bytes without a pointer rather than one keyed by namespace and
	// label holding a slice of names (~100 bytes more a Certificate).
	heads map[uint64]int32
	seed  maphash.Seed
	// labelOf is each Certificate's label: a refTable rather than a map
	// keyed by meta.Ref, ~50 bytes a Certificate instead of ~110.
	labelOf refTable[secretLabel]
}

// secretLabel is a Certificate's label and the id+1 of the next
// Certificate on its chain (0 ends it).
type secretLabel struct {
	label refText // in labelOf's texts
	next  int32
}

func (l *secretLabel) refTexts(yield func(*refText) bool) { yield(&l.label) }

// set records the labels of Certificate ref after a change.
func (x *secretNameIndex) set(ref meta.Ref, labels map[string]string) {
	label, ok := labels[certificate.LabelSecretName]
	x.mu.Lock()
	defer x.mu.Unlock()
	if id, had := x.labelOf.lookup(ref); had {
		old := x.labelOf.text(x.labelOf.at(id).label)
		if ok && string(old) == label {
			return
		}
		x.removeLocked(ref, id, string(old))
	}
	if !ok {
		return
	}
	if x.heads == nil {
		x.heads = map[uint64]int32{}
		x.seed = maphash.MakeSeed()
	}
	id, _ := x.labelOf.intern(ref)
	x.labelOf.setText(&x.labelOf.at(id).label, label)
	// At the chain's end: named lists them in the order they came.
	h := x.hash(ref.Namespace, label)
	last := x.heads[h]
	if last == 0 {
		x.heads[h] = id + 1
		return
	}
	for x.labelOf.at(last-1).next != 0 {
		last = x.labelOf.at(last - 1).next
	}
	x.labelOf.at(last - 1).next = id + 1
}

func (x *secretNameIndex) hash(namespace, label string) uint64 {
	var h maphash.Hash
	h.SetSeed(x.seed)
	h.WriteString(namespace)
	h.WriteByte(0)
	h.WriteString(label)
	return h.Sum64()
}

// forget drops a deleted Certificate.
func (x *secretNameIndex) forget(ref meta.Ref) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if id, had := x.labelOf.lookup(ref); had {
		x.removeLocked(ref, id, string(x.labelOf.text(x.labelOf.at(id).label)))
	}
}

// removeLocked unthreads id (ref, labelled label) from its chain and
// forgets it.
func (x *secretNameIndex) removeLocked(ref meta.Ref, id int32, label string) {
	h := x.hash(ref.Namespace, label)
	next := x.labelOf.at(id).next
	if p := x.heads[h]; p == id+1 {
		if next == 0 {
			delete(x.heads, h)
		} else {
			x.heads[h] = next
		}
	} else {
		for x.labelOf.at(p-1).next != id+1 {
			p = x.labelOf.at(p - 1).next
		}
		x.labelOf.at(p - 1).next = next
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
	x.heads, x.seed, x.labelOf = fresh.heads, fresh.seed, fresh.labelOf
}

// named returns the names of the Certificates of namespace labelled label.
func (x *secretNameIndex) named(namespace, label string) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.heads == nil {
		return nil
	}
	var names []string
	for id := x.heads[x.hash(namespace, label)]; id != 0; id = x.labelOf.at(id - 1).next {
		if c := x.labelOf.at(id - 1); string(x.labelOf.text(c.label)) == label {
			if x.labelOf.namespaceOf(id-1) == namespace {
				names = append(names, x.labelOf.ref(id-1).Name)
			}
		}
	}
	return names
}
