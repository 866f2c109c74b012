package certflow

import (
	"context"

	"github.com/certflow/certflow/meta"
)

// sharedMeta answers a metadata read of a listed object of a shared kind
// (an issuer, which the list answers until the end) from its metadata
// decoded once: every first visit of a certificate asks its issuer's
// version (issuer.Memo), and decoding the whole listed issuer for each
// was 1-3% of the CPU a restart on 20k certificates spends after it
// serves (10-16 µs a visit; this answers in under 1). ok is false when
// the list does not hold the object's bytes: Get answers then, as before.
//
// The answer is what decoding the listed bytes gives, as Get's: the
// bytes never change while they are listed (forget drops them, and the
// metadata with them), so the first decode holds for every later read.
func (l *listedReads) sharedMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (md meta.ObjectMeta, ok bool, err error) {
	if !sharedKinds[ref.Kind] {
		return meta.ObjectMeta{}, false, nil
	}
	l.mu.Lock()
	if l.items == nil || l.passed[ref] {
		l.mu.Unlock()
		return meta.ObjectMeta{}, false, nil
	}
	if held, found := l.metas[ref]; found {
		l.mu.Unlock()
		return meta.CloneMeta(&held), true, nil
	}
	raw, found, dropped := l.items.get(ref)
	loaded, packer := l.loaded, l.packer.Load() // raw's, as take's
	l.mu.Unlock()
	if !found || dropped || raw.Data == nil {
		return meta.ObjectMeta{}, false, nil
	}
	if err := ctx.Err(); err != nil {
		return meta.ObjectMeta{}, true, err
	}
	obj := newObject()
	raw, err = packer.plain(raw)
	if err == nil {
		err = decodeListed(raw, obj)
	}
	if err != nil {
		return meta.ObjectMeta{}, true, err
	}
	md = *obj.GetMeta()
	l.mu.Lock()
	// Kept only while the same list still holds the same object: a
	// write forgot it meanwhile, or a later Run loaded another list.
	if l.loaded == loaded && l.items != nil && !l.passed[ref] {
		if _, still, dropped := l.items.get(ref); still && !dropped {
			l.metas[ref] = md
		}
	}
	l.mu.Unlock()
	return meta.CloneMeta(&md), true, nil
}
