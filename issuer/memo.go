package issuer

import (
	"context"
	"sync"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// memoSize bounds the issuers a Memo holds; past it a new one takes the
// place of an arbitrary one: a Manager usually has few issuers, read by
// every certificate's visits.
const memoSize = 256

// Memo reads issuers for the reconcilers downstream of them (Certificate,
// CertificateRequest, Order, Challenge), each of whose visits reads the
// issuer it works for: some eight reads a certificate, each decoding (or
// copying) the whole issuer, where a read of its metadata costs a fraction
// of that and tells whether the version decoded last is still the one
// stored.
//
// Get answers with the version the Store holds at the moment of its
// metadata read, as a Get answers with the version at the moment of the
// Get: a changed issuer is read at once, so nothing decides on an issuer
// the Store no longer holds. A version is known by its UID and
// ResourceVersion together, so an issuer deleted and made again is read
// anew even by a Store that reuses version strings.
//
// What Get returns is shared by every reader of that version: callers MUST
// NOT modify it (as with pki.CSRMemo); one that means to change an issuer
// reads it with the package-level Get. A nil *Memo reads every time.
type Memo struct {
	mu sync.Mutex
	m  map[meta.Ref]memoEntry
}

type memoEntry struct {
	uid, version string
	obj          Object
}

// Get is the package-level Get, answered from the memo while the Store
// holds the version it holds. The result is read-only.
func (m *Memo) Get(ctx context.Context, r store.Reader, ref meta.Ref) (Object, error) {
	mr, ok := r.(store.MetaReader)
	if m == nil || !ok {
		return Get(ctx, r, ref)
	}
	if _, ok := emptyObject(ref.Kind); !ok {
		return Get(ctx, r, ref)
	}
	newObject := func() meta.Object { obj, _ := emptyObject(ref.Kind); return obj }
	// A failed metadata read (a missing issuer) is left to Get, whose
	// error callers see as before.
	if md, err := mr.GetMeta(ctx, ref, newObject); err == nil && md.ResourceVersion != "" {
		if obj, ok := m.held(ref, md.UID, md.ResourceVersion); ok {
			return obj, nil
		}
	}
	obj, err := Get(ctx, r, ref)
	if err != nil {
		m.drop(ref)
		return nil, err
	}
	m.keep(ref, obj)
	return obj, nil
}

// held returns ref's object when it is uid's version.
func (m *Memo) held(ref meta.Ref, uid, version string) (Object, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[ref]
	if !ok || e.uid != uid || e.version != version {
		return nil, false
	}
	return e.obj, true
}

func (m *Memo) keep(ref meta.Ref, obj Object) {
	md := obj.GetMeta()
	if md.ResourceVersion == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[meta.Ref]memoEntry{}
	}
	if _, ok := m.m[ref]; !ok && len(m.m) >= memoSize {
		// An arbitrary one goes (as the Signer's key pairs): starting again
		// empty left a Manager with more issuers (one a namespace) a hit
		// rate far below memoSize/issuers.
		for k := range m.m {
			delete(m.m, k)
			break
		}
	}
	m.m[ref] = memoEntry{uid: md.UID, version: md.ResourceVersion, obj: obj}
}

func (m *Memo) drop(ref meta.Ref) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, ref)
}
