package certflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// usedNames holds, per on-demand name this Manager knows, whether a
// handshake was served it since the last sweep, and the last use the
// sweeps established. A handshake reads immutable maps (no lock) and sets
// the flag when it is not set yet: serving reads no clock, allocates
// nothing and writes nothing contended; the sweep turns a set flag into
// its own time (a use is dated at most one sweep interval late).
//
// The sweep builds the map of every name once and publishes it with one
// pointer store (publish). A name tracked between sweeps (an issuance)
// goes into the small overflow map instead, copied on write so that
// readers stay lock-free; the next sweep merges it. Tracking a name thus
// never copies the map of all names: its cost is bounded by the names
// tracked since the last sweep, which the rate limit bounds.
type usedNames struct {
	names    atomic.Pointer[map[string]*usedName] // published by the sweep
	overflow atomic.Pointer[map[string]*usedName] // tracked since; nil: none

	mu     sync.Mutex // serialises writers
	builds int        // maps of all names built (publish), for tests
}

type usedName struct {
	hit  atomic.Bool  // served since the last sweep
	last atomic.Int64 // Unix seconds of the last use known; 0: none here
}

// touch records that serverName (as sent, any case) was served. It
// allocates nothing and takes no lock.
func (u *usedNames) touch(serverName string) {
	if e := u.lookup(serverName); e != nil && !e.hit.Load() {
		e.hit.Store(true)
	}
}

// lookup finds the entry of serverName without allocating: as it is
// when it is folded (the usual case), else folded into a stack buffer.
func (u *usedNames) lookup(serverName string) *usedName {
	name := strings.TrimSuffix(serverName, ".")
	if dnsname.IsFolded(name) {
		return u.entry(name)
	}
	if len(name) > dnsname.MaxNameLen {
		return nil
	}
	var buf [dnsname.MaxNameLen]byte
	n := dnsname.FoldInto(buf[:], name)
	return u.entry(string(buf[:n]))
}

// entry returns the entry of the folded name, or nil.
func (u *usedNames) entry(name string) *usedName {
	if p := u.names.Load(); p != nil {
		if e, ok := (*p)[name]; ok {
			return e
		}
	}
	if p := u.overflow.Load(); p != nil {
		return (*p)[name]
	}
	return nil
}

// track starts recording name's use, as used at now (zero: not yet). A
// name not yet known goes into the overflow map.
func (u *usedNames) track(name string, now time.Time) *usedName {
	u.mu.Lock()
	defer u.mu.Unlock()
	e := u.entry(name)
	if e == nil {
		e = &usedName{}
		var cur map[string]*usedName
		if p := u.overflow.Load(); p != nil {
			cur = *p
		}
		next := make(map[string]*usedName, len(cur)+1)
		maps.Copy(next, cur)
		next[name] = e
		u.overflow.Store(&next)
	}
	if !now.IsZero() && now.Unix() > e.last.Load() {
		e.last.Store(now.Unix())
	}
	return e
}

// publish replaces the names known by names (keeping each one's entry),
// plus those tracked since the last publish, in one map built once, and
// returns the entries of names in their order.
func (u *usedNames) publish(names []string) []*usedName {
	u.mu.Lock()
	defer u.mu.Unlock()
	var over map[string]*usedName
	if p := u.overflow.Load(); p != nil {
		over = *p
	}
	next := make(map[string]*usedName, len(names)+len(over))
	entries := make([]*usedName, len(names))
	for i, name := range names {
		e := u.entry(name)
		if e == nil {
			e = &usedName{}
		}
		next[name], entries[i] = e, e
	}
	// A name tracked since the last publish whose Certificate the sweep
	// did not list (created after the List) stays until the next sweep.
	for name, e := range over {
		if _, ok := next[name]; !ok {
			next[name] = e
		}
	}
	u.names.Store(&next)
	u.overflow.Store(nil)
	u.builds++
	return entries
}

// idleInterval is how often the sweep runs, how late it dates a use, and
// the most a persisted last use lags behind this replica's: a quarter of
// IdleTimeout each, so a replica serving a name always records it well
// before another one would find it idle.
func (od *onDemand) idleInterval() time.Duration { return max(od.cfg.IdleTimeout/4, time.Second) }

// sweepIdle runs sweepIdleOnce every idleInterval until ctx ends. Each
// sweep is scheduled from the tick that started the previous one, not
// from when it finished: time that passed during a sweep (a slow Store, a
// jump of the clock) makes the next one due at once instead of pushing
// every later sweep back by it.
func (od *onDemand) sweepIdle(ctx context.Context) {
	clk := od.m.cfg.Clock
	t := clk.NewTimer(0)
	defer t.Stop()
	for {
		var tick time.Time
		select {
		case <-ctx.Done():
			return
		case tick = <-t.C():
		}
		if err := od.sweepIdleOnce(ctx, tick); err != nil && ctx.Err() == nil {
			od.log.Warn("on-demand: idle sweep failed", meta.LogError, err)
		}
		clock.ResetAt(clk, t, tick.Add(od.idleInterval()))
	}
}

// sweepIdleOnce persists each on-demand name's last use when this replica
// saw a later one, and deletes the Certificates (and their Secrets) whose
// name no replica served within IdleTimeout before now. A name never
// recorded counts as used when its Certificate was created.
func (od *onDemand) sweepIdleOnce(ctx context.Context, now time.Time) error {
	crts, err := store.ListOf[certificate.Certificate](ctx, od.m.cfg.Store, store.ListOptions{
		Kind: meta.KindCertificate, Namespace: od.cfg.Template.ObjectMeta.Namespace,
		Labels: map[string]string{LabelOnDemand: "true"}})
	if err != nil {
		return err
	}
	live := make([]*certificate.Certificate, 0, len(crts))
	names := make([]string, 0, len(crts))
	for _, c := range crts {
		if name := c.ObjectMeta.Annotations[AnnotationOnDemandName]; name != "" && c.ObjectMeta.DeletionTime == nil {
			live, names = append(live, c), append(names, name)
		}
	}
	// Published before the I/O below: an expired name's entry stays until
	// the next sweep (and is reused if the name is issued again meanwhile).
	entries := od.used.publish(names)
	var errs []error
	for i, c := range live {
		name, e := names[i], entries[i]
		if e.hit.Swap(false) {
			e.last.Store(now.Unix())
		}
		local := e.last.Load()
		last := persistedLastUse(c)
		if local > last.Unix() {
			last = time.Unix(local, 0)
		}
		if now.Sub(last) >= od.cfg.IdleTimeout {
			errs = append(errs, od.expire(ctx, c, name, now.Sub(last)))
			continue
		}
		if local-persistedLastUse(c).Unix() >= int64(od.idleInterval()/time.Second) {
			c.ObjectMeta.Annotations[AnnotationOnDemandLastUsed] = time.Unix(local, 0).UTC().Format(time.RFC3339)
			if err := od.m.cfg.Store.Update(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// persistedLastUse is the last use c records, else its creation.
func persistedLastUse(c *certificate.Certificate) time.Time {
	if t, err := time.Parse(time.RFC3339, c.ObjectMeta.Annotations[AnnotationOnDemandLastUsed]); err == nil {
		return t
	}
	if c.ObjectMeta.CreationTime != nil {
		return *c.ObjectMeta.CreationTime
	}
	return time.Time{}
}

// expire deletes the idle on-demand Certificate c (if unchanged since it
// was read: a replica that just recorded a use wins), what it owns, and
// its Secret, so the name is no longer served and its next handshake asks
// the policy again. It keeps Manager.Delete's hygiene, in the order the
// conditional delete allows: once the Certificate is deleted, its
// certificate is revoked if AnnotationRevokeOnDelete says so (a refusal
// is reported; the Certificate is gone), and its orders' pending
// authorizations are deactivated.
func (od *onDemand) expire(ctx context.Context, c *certificate.Certificate, name string, idle time.Duration) error {
	ref := meta.RefOf(c)
	if err := od.m.cfg.Store.Delete(ctx, ref, c.ObjectMeta.ResourceVersion); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	od.log.Info("on-demand certificate expired", meta.LogCertificate, ref.Namespace+"/"+ref.Name,
		meta.LogIdentifiers, name, "idle", idle.Truncate(time.Second).String())
	var revokeErr error
	if c.ObjectMeta.Annotations[AnnotationRevokeOnDelete] == "true" {
		_, _, err := od.m.revokeIssued(ctx, c, RevocationCessationOfOperation, revokeOptions{})
		if err != nil && !errors.Is(err, ErrAlreadyRevoked) && !errors.Is(err, ErrNoCertificate) && !errors.Is(err, ErrNotACME) {
			revokeErr = fmt.Errorf("certflow: on-demand: expired %s, not revoked: %w", ref, err)
		}
	}
	od.m.deactivate(ctx, od.m.pendingAuthorizations(ctx, ref))
	secretRef := meta.Ref{Kind: meta.KindSecret, Namespace: ref.Namespace, Name: c.Spec.SecretName}
	err := od.m.cfg.Store.Delete(ctx, secretRef, "")
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	return errors.Join(revokeErr, err, od.m.collectOwned(ctx, ref))
}
