package certflow

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// listedReads answers the reconcilers' Gets from the list a Manager starts
// with, until the visits that list queued have all run: a Manager
// restarting on 100k certificates visits every one of them, and each visit
// read five or six objects the list had just read (800k Store reads, a
// minute and a half of CPU, for nothing due).
//
// It answers as an informer's cache does: with the version listed, for an
// object no change of which the watch has delivered since, and with
// ErrNotFound for one of a listed kind that was not listed. Every change
// after the list's revision is delivered, and forget is called before it is
// acted on, so what the list answers at any moment is the Store as it was
// at the watch's position then: one consistent, if late, view. A decision
// made on a version that was replaced meanwhile is made again when the
// watch delivers the change, and a write on it fails with
// store.ErrConflict and is retried on a fresh read.
//
// Within one visit the reads never go back in time (listedVisit): once a
// read was answered by the Store, which is ahead of the watch, the list
// answers nothing more in that visit. Another Manager writing the same
// Store (a replica) makes the difference: a Certificate read from the Store
// just after its replica issued it, beside its Secret read from the list as
// it was before, looked due and was issued a second time.
//
// Each listed object is answered once (issuers, which all their
// certificates read, until the end) and then read from the Store, so the
// memory it holds goes as the first visits read it; writes through it
// forget what they write.
type listedReads struct {
	store.Store

	// active is set from begin or load until end: once the list has
	// ended, every read and write of a running Manager passes through
	// here, and none of them needs mu.
	active atomic.Bool

	mu sync.Mutex
	// items holds the listed objects, those read once or changed since
	// dropped (listedSet); nil when no list is being answered from.
	items *listedSet
	// kinds are the kinds listed in full: an object of one that was not
	// listed did not exist at the list's revision.
	kinds map[meta.Kind]bool
	// passed holds objects changed since the list (or while it was read),
	// and those it could not decode: the Store answers for them. One read
	// once is dropped from items instead.
	passed map[meta.Ref]bool
	// during holds what was written while the list was being read (from
	// begin to load): the list may hold the version before the write.
	during map[meta.Ref]bool
	// metas holds the metadata of listed shared objects, decoded once
	// (sharedMeta); loaded counts the loads and ends, so that a decode
	// begun on one list is not kept for the next.
	metas  map[meta.Ref]meta.ObjectMeta
	loaded uint64

	// packer unpacks the listed Secrets the list holds packed
	// (listedPacker), until end.
	packer atomic.Pointer[listedPacker]
}

// usePacker makes p unpack what the list being read holds packed.
func (l *listedReads) usePacker(p *listedPacker) { l.packer.Store(p) }

// begin records, until load, what is written meanwhile: Run's List may
// read an object before a write the Manager makes beside it (an Apply
// right after Run started).
func (l *listedReads) begin() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.during = map[meta.Ref]bool{}
	l.active.Store(true)
}

// answeredKinds are the kinds whose Gets the list answers: those the
// reconcilers read.
var answeredKinds = map[meta.Kind]bool{
	meta.KindCertificate: true, meta.KindCertificateRequest: true, meta.KindSecret: true,
	meta.KindIssuer: true, meta.KindClusterIssuer: true, meta.KindOrder: true, meta.KindChallenge: true,
}

// presenceKinds are the answered kinds of which the list keeps only which
// objects exist, and the Store answers for those: a certificate's visit
// reads one of its requests, and at 100k certificates keeping them all
// (some 800 MB) through the first visits raised the start's peak RSS
// from 2.0 to 2.5 GB.
// The listed version is kept too: a Store read that finds it unchanged
// answers as the list would have.
var presenceKinds = map[meta.Kind]bool{meta.KindCertificateRequest: true}

// sharedKinds are read by the visits of many objects (an issuer by each
// of its certificates): their few objects are answered until the end.
var sharedKinds = map[meta.Kind]bool{meta.KindIssuer: true, meta.KindClusterIssuer: true}

// load starts answering from items, listed with err: the objects a List
// error names as corrupt are left to the Store, and when it names others
// (or none), no object counts as missing because it was not listed.
func (l *listedReads) load(items []store.Raw, err error) {
	// Sized for what it keeps, not for the list: at 100k certificates the
	// list holds 800k objects, 500k of them Events, and a map sized for
	// them all held 80 MB more (160 MB, not 77) through the resync and the
	// start's visits.
	n := 0
	for _, raw := range items {
		if answeredKinds[raw.Ref.Kind] {
			n++
		}
	}
	kept := make([]store.Raw, 0, n)
	for _, raw := range items {
		switch {
		case presenceKinds[raw.Ref.Kind]:
			kept = append(kept, store.Raw{Ref: raw.Ref, ResourceVersion: raw.ResourceVersion})
		case answeredKinds[raw.Ref.Kind]:
			kept = append(kept, raw)
		}
	}
	corrupt, named := corruptRefs(err)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items, l.kinds, l.passed = newListedSet(kept), map[meta.Kind]bool{}, map[meta.Ref]bool{}
	l.metas = map[meta.Ref]meta.ObjectMeta{}
	l.loaded++
	for k := range answeredKinds {
		l.kinds[k] = named
	}
	for _, ref := range corrupt {
		l.passed[ref] = true
	}
	for ref := range l.during {
		l.items.drop(ref)
		l.passed[ref] = true
	}
	l.during = nil
	l.active.Store(true)
}

// corruptRefs returns the objects err (a List's) names as corrupt, and
// whether that is all it reports.
func corruptRefs(err error) (refs []meta.Ref, all bool) {
	if corrupt, ok := err.(*store.CorruptError); ok {
		return []meta.Ref{corrupt.Ref}, corrupt.Ref.Kind != ""
	}
	switch e := err.(type) {
	case nil:
		return nil, true
	case interface{ Unwrap() []error }:
		all = true
		for _, e := range e.Unwrap() {
			r, ok := corruptRefs(e)
			refs, all = append(refs, r...), all && ok
		}
		return refs, all
	case interface{ Unwrap() error }:
		return corruptRefs(e.Unwrap())
	}
	return nil, false
}

// endWhenIdle ends the answers once idle is closed (the queue has run
// every visit), or ctx ends.
func (l *listedReads) endWhenIdle(ctx context.Context, idle <-chan struct{}) {
	select {
	case <-idle:
	case <-ctx.Done():
	}
	l.end()
}

// end stops answering from the list and lets go of it.
func (l *listedReads) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items, l.kinds, l.passed, l.during, l.metas = nil, nil, nil, nil, nil
	l.loaded++
	l.active.Store(false)
	l.packer.Store(nil)
}

// forget makes the Store answer for ref from now on: it changed.
func (l *listedReads) forget(ref meta.Ref) {
	if !l.active.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !answeredKinds[ref.Kind] { // Events come and go in numbers
		return
	}
	if l.during != nil {
		l.during[ref] = true
	}
	if l.items != nil {
		l.items.drop(ref)
		delete(l.metas, ref)
		l.passed[ref] = true
	}
}

// passing reports whether the list has ended for this Run: every read is
// then the Store's, and no visit's record needs looking up (two context
// walks per read, on every read of a running Manager). It cannot start
// answering again under a visit that read the Store meanwhile: within a
// Run the list is loaded once, before any visit, and a Run starts after
// the previous one's visits have all returned.
func (l *listedReads) passing() bool { return !l.active.Load() }

// listAnswer is what the list says about one object.
type listAnswer int

const (
	answerStore   listAnswer = iota // the list does not answer: read the Store
	answerAbsent                    // it did not exist
	answerListed                    // the listed version (raw)
	answerPresent                   // it existed at raw's version; the Store holds the object
)

// take returns what the list answers for ref, and the packer that unpacks
// raw: the one of the list it was taken from, read under the same lock,
// since end (a Run stopping) may let go of both before raw is read.
func (l *listedReads) take(ref meta.Ref) (raw store.Raw, packer *listedPacker, answer listAnswer) {
	if !l.active.Load() {
		return store.Raw{}, nil, answerStore
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.items == nil || l.passed[ref] {
		return store.Raw{}, nil, answerStore
	}
	raw, found, dropped := l.items.get(ref)
	switch {
	case dropped: // read once: the Store answers
		return store.Raw{}, nil, answerStore
	case !found && l.kinds[ref.Kind]:
		return store.Raw{}, nil, answerAbsent
	case !found:
		return store.Raw{}, nil, answerStore
	case raw.Data == nil:
		return raw, nil, answerPresent
	}
	if !sharedKinds[ref.Kind] {
		l.items.drop(ref) // the Store answers from now on
	}
	return raw, l.packer.Load(), answerListed
}

// listedVisit records whether a read of one visit was answered by the
// Store: from then on the Store answers every read of that visit.
type listedVisit struct{ ahead atomic.Bool }

type listedVisitKey struct{}

// visit returns ctx carrying a new visit's record. Reads through a context
// without one (outside a reconcile) are answered by the Store.
func (l *listedReads) visit(ctx context.Context) context.Context {
	if !l.active.Load() {
		return ctx
	}
	return context.WithValue(ctx, listedVisitKey{}, &listedVisit{})
}

// Get answers from the list when it can, else from the Store. A fresh
// read (store.FreshRead) is the Store's, and so is the rest of its visit.
func (l *listedReads) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	if l.passing() {
		return l.Store.Get(ctx, ref, into)
	}
	v, _ := ctx.Value(listedVisitKey{}).(*listedVisit)
	if v != nil && store.FreshRead(ctx) {
		v.ahead.Store(true)
	}
	if v == nil || v.ahead.Load() {
		return l.Store.Get(ctx, ref, into)
	}
	raw, packer, answer := l.take(ref)
	switch answer {
	case answerStore:
		v.ahead.Store(true)
		return l.Store.Get(ctx, ref, into)
	case answerPresent:
		err := l.Store.Get(ctx, ref, into)
		if err != nil || into.GetMeta().ResourceVersion != raw.ResourceVersion {
			v.ahead.Store(true)
		}
		return err
	case answerAbsent:
		return fmt.Errorf("certflow: get %s: %w", ref, store.ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	raw, err := packer.plain(raw)
	if err != nil {
		return err
	}
	return decodeListed(raw, into)
}

// List is answered by the Store, and so is the rest of the visit.
func (l *listedReads) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if l.passing() {
		return l.Store.List(ctx, opts)
	}
	if v, _ := ctx.Value(listedVisitKey{}).(*listedVisit); v != nil {
		v.ahead.Store(true)
	}
	return l.Store.List(ctx, opts)
}

// Unwrap returns the Store read when the list does not answer, so that
// what the Store offers beyond store.Store (a LeaseWatcher ending a step
// when its claim is lost) is found through this wrapper.
func (l *listedReads) Unwrap() store.Store { return l.Store }

// Create, Update and Delete forget what they write first, so no read
// answers the listed version once the write may have replaced it.
func (l *listedReads) Create(ctx context.Context, obj meta.Object) error {
	l.forget(meta.RefOf(obj))
	return l.Store.Create(ctx, obj)
}

func (l *listedReads) Update(ctx context.Context, obj meta.Object) error {
	l.forget(meta.RefOf(obj))
	return l.Store.Update(ctx, obj)
}

func (l *listedReads) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	l.forget(ref)
	return l.Store.Delete(ctx, ref, resourceVersion)
}

// decodeListed decodes raw into into as a Store's Get does: into is
// zeroed first, and what cannot be decoded is store.ErrCorrupt.
func decodeListed(raw store.Raw, into meta.Object) error {
	if v := reflect.ValueOf(into); v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().SetZero()
	}
	if s, ok := into.(*secret.Secret); ok && s != nil {
		if quickSecret(raw.Data, s) {
			return nil
		}
		*s = secret.Secret{}
	}
	return raw.Decode(into)
}

// listedWrites is the Store the Manager writes through outside reconciles
// (Apply, Delete, Renew, the collector, on-demand issuance): a write
// forgets the listed version as a reconciler's does, or a visit still
// queued from the start would decide on what the write replaced (a
// Certificate deleted just after Run started would be issued). Reads go to
// the Store.
type listedWrites struct {
	store.Store
	listed *listedReads
}

// Unwrap returns the Store written to, as listedReads.Unwrap does.
func (w listedWrites) Unwrap() store.Store { return w.Store }

func (w listedWrites) Create(ctx context.Context, obj meta.Object) error {
	return w.listed.Create(ctx, obj)
}

func (w listedWrites) Update(ctx context.Context, obj meta.Object) error {
	return w.listed.Update(ctx, obj)
}

func (w listedWrites) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	return w.listed.Delete(ctx, ref, resourceVersion)
}
