package certflow

import (
	"context"
	"log/slog"
	"strings"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/serve"
	"github.com/certflow/certflow/store"
)

// writesThrough is a Store that hands each object it stored (its
// ResourceVersion now the stored one) to stored: the serving cache thus
// learns of a reconciler's writes however far behind the Store watch is
// (servingWrites, challengeWrites).
type writesThrough struct {
	store.Store
	stored func(meta.Object)
}

// Unwrap returns the Store written through, for callers looking for
// optional abilities of the implementation.
func (s *writesThrough) Unwrap() store.Store { return s.Store }

func (s *writesThrough) Create(ctx context.Context, obj meta.Object) error {
	if err := s.Store.Create(ctx, obj); err != nil {
		return err
	}
	s.stored(obj)
	return nil
}

func (s *writesThrough) Update(ctx context.Context, obj meta.Object) error {
	if err := s.Store.Update(ctx, obj); err != nil {
		return err
	}
	s.stored(obj)
	return nil
}

// servingWrites is what the certificate reconciler's Store does after a
// write (writesThrough): a Secret it stores holding a certificate is
// served at once. The Certificate's status says Ready only in a later
// write, so its names are served the moment it is Ready, however far
// behind the Store watch is.
// The watch still delivers the same version (a no-op for the cache), and
// serves what other replicas store.
type servingWrites struct {
	cache *serve.Cache
	log   *slog.Logger
	// served, if set, records each Secret handed to the cache as stored.
	served *servedVersions
}

// serve puts a stored Secret (its ResourceVersion now the stored one) into
// the cache; versions order it against what the watch delivers.
func (s *servingWrites) serve(obj meta.Object) {
	sec, ok := obj.(*secret.Secret)
	if !ok {
		return
	}
	sec = withOwnRef(sec)
	if !servableSecret(sec) {
		if s.served != nil {
			// As observeServing would after reading it back.
			s.cache.DeleteSecretAt(meta.RefOf(sec), sec.ObjectMeta.ResourceVersion)
			s.served.record(meta.RefOf(sec), sec.ObjectMeta.ResourceVersion)
		}
		return
	}
	// Apply, not PutSecret: the key was checked against the leaf before
	// the write (the certificate reconciler's verifyIssued), so it is
	// parsed at its first handshake, as after a restart, instead of now
	// (BenchmarkServedBytesOneByOne: ~100 bytes and ~60% of the time
	// per Secret less).
	if err := s.cache.Apply([]*secret.Secret{sec}, nil); err != nil {
		s.log.Warn("secret cannot be served", "namespace", sec.ObjectMeta.Namespace, "name", sec.ObjectMeta.Name, "err", err)
		return
	}
	if s.served != nil {
		s.served.record(meta.RefOf(sec), sec.ObjectMeta.ResourceVersion)
	}
}

// withOwnRef returns a shallow copy of sec whose namespace and name are an
// allocation of their own. The cache keeps a Secret's reference for as long
// as it serves it, and the certificate reconciler names the Secret after
// its Certificate's spec.secretName: a string of the Certificate's Get,
// which a Store may decode into one block with the Certificate's every
// other string (the memory store does), so keeping the name kept the
// whole block, ~130-160 bytes a certificate (docs/memory.md).
func withOwnRef(sec *secret.Secret) *secret.Secret {
	cp := *sec
	ns, name := sec.ObjectMeta.Namespace, sec.ObjectMeta.Name
	var b strings.Builder // one allocation for both
	b.Grow(len(ns) + len(name))
	b.WriteString(ns)
	b.WriteString(name)
	both := b.String()
	cp.ObjectMeta.Namespace, cp.ObjectMeta.Name = both[:len(ns)], both[len(ns):]
	return &cp
}

// challengeWrites is what the order and challenge reconcilers' Store does
// after a write (writesThrough): a Challenge they store is handed to the serving cache at once,
// as stored (served when presented, dropped once cleaned up), so the CA
// finds it however far behind the Store watch is, and the watch event of
// that write need not read it back.
type challengeWrites struct {
	put    func(*challenge.Challenge) bool
	served *servedVersions
}

func (s *challengeWrites) serve(obj meta.Object) {
	if ch, ok := obj.(*challenge.Challenge); ok && s.put(ch) {
		s.served.record(meta.RefOf(ch), ch.ObjectMeta.ResourceVersion)
	}
}
