package certflow

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// usedNames holds, per on-demand name this Manager knows, the last second
// a handshake was served it. A handshake only reads the map (shared lock)
// and writes the entry when the second changed, so serving stays free of
// allocations and of contended writes; the sweep persists it.
type usedNames struct {
	mu    sync.RWMutex
	names map[string]*usedName
}

type usedName struct{ last atomic.Int64 } // Unix seconds; 0: not served here

// touch records that serverName (as sent, any case) was served at now.
// It allocates nothing.
func (u *usedNames) touch(serverName string, now time.Time) {
	e := u.lookup(serverName)
	if e == nil {
		return
	}
	if sec := now.Unix(); e.last.Load() != sec {
		e.last.Store(sec)
	}
}

// lookup finds the entry of serverName without allocating: as it is
// when it is folded (the usual case), else folded into a stack buffer.
func (u *usedNames) lookup(serverName string) *usedName {
	name := strings.TrimSuffix(serverName, ".")
	if !dnsname.IsFolded(name) {
		if len(name) > dnsname.MaxNameLen {
			return nil
		}
		var buf [dnsname.MaxNameLen]byte
		n := dnsname.FoldInto(buf[:], name)
		u.mu.RLock()
		defer u.mu.RUnlock()
		return u.names[string(buf[:n])]
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.names[name]
}

// track starts recording name's use, as used at now (0: not yet).
func (u *usedNames) track(name string, now time.Time) *usedName {
	u.mu.Lock()
	defer u.mu.Unlock()
	e, ok := u.names[name]
	if !ok {
		e = &usedName{}
		u.names[name] = e
	}
	if !now.IsZero() && now.Unix() > e.last.Load() {
		e.last.Store(now.Unix())
	}
	return e
}

// retain forgets every name but those of keep.
func (u *usedNames) retain(keep map[string]bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for name := range u.names {
		if !keep[name] {
			delete(u.names, name)
		}
	}
}

// idleInterval is how often the sweep runs and the most a persisted last
// use lags behind this replica's: a quarter of IdleTimeout, so a replica
// serving a name always records it well before another one would find it
// idle.
func (od *onDemand) idleInterval() time.Duration { return max(od.cfg.IdleTimeout/4, time.Second) }

// sweepIdle runs sweepIdleOnce every idleInterval until ctx ends.
func (od *onDemand) sweepIdle(ctx context.Context) {
	clk := od.m.cfg.Clock
	t := clk.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		if err := od.sweepIdleOnce(ctx, clk.Now()); err != nil && ctx.Err() == nil {
			od.log.Warn("on-demand: idle sweep failed", meta.LogError, err)
		}
		t.Reset(od.idleInterval())
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
	seen := make(map[string]bool, len(crts))
	var errs []error
	for _, c := range crts {
		name := c.ObjectMeta.Annotations[AnnotationOnDemandName]
		if name == "" || c.ObjectMeta.DeletionTime != nil {
			continue
		}
		local := od.used.track(name, time.Time{}).last.Load()
		last := persistedLastUse(c)
		if local > last.Unix() {
			last = time.Unix(local, 0)
		}
		if now.Sub(last) >= od.cfg.IdleTimeout {
			errs = append(errs, od.expire(ctx, c, name, now.Sub(last)))
			continue
		}
		seen[name] = true
		if local-persistedLastUse(c).Unix() >= int64(od.idleInterval()/time.Second) {
			c.ObjectMeta.Annotations[AnnotationOnDemandLastUsed] = time.Unix(local, 0).UTC().Format(time.RFC3339)
			if err := od.m.cfg.Store.Update(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
				errs = append(errs, err)
			}
		}
	}
	od.used.retain(seen)
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
// the policy again.
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
	secretRef := meta.Ref{Kind: meta.KindSecret, Namespace: ref.Namespace, Name: c.Spec.SecretName}
	err := od.m.cfg.Store.Delete(ctx, secretRef, "")
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	return errors.Join(err, od.m.collectOwned(ctx, ref))
}
