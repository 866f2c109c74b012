package etcd

import (
	"context"
	"math"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// session is one etcd lease that every lock the store takes is bound to.
// While the store lives, the client keeps the lease alive; when the process
// dies the keepalives stop, etcd expires the lease within its TTL and
// deletes the locks with it.
type session struct {
	id     clientv3.LeaseID
	done   chan struct{} // closed once the session is lost or ended
	once   sync.Once
	cancel context.CancelFunc // stops the keepalives
}

// stop ends the session on this side: its locks count as lost from now.
func (ss *session) stop() {
	ss.once.Do(func() {
		close(ss.done)
		ss.cancel()
	})
}

func (ss *session) alive() bool {
	select {
	case <-ss.done:
		return false
	default:
		return true
	}
}

// sessions holds a store's current session.
type sessions struct {
	mu  sync.Mutex
	cur *session
}

// get returns the live session, granting a new lease when there is none
// (none yet, or the last one was lost).
func (ss *sessions) get(ctx context.Context, s *Store) (*session, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.cur != nil && ss.cur.alive() {
		return ss.cur, nil
	}
	if s.isClosed() {
		return nil, ErrClosed
	}
	grant, err := s.client.Grant(ctx, int64(math.Ceil(s.sessionTTL.Seconds())))
	if err != nil {
		return nil, s.fail("grant the session lease", err)
	}
	kctx, cancel := context.WithCancel(context.Background())
	ka, err := s.client.KeepAlive(kctx, grant.ID)
	if err != nil {
		cancel()
		return nil, s.fail("keep the session lease alive", err)
	}
	sess := &session{id: grant.ID, done: make(chan struct{}), cancel: cancel}
	if err := s.spawn(func() { s.keepSession(sess, ka, time.Duration(grant.TTL)*time.Second) }); err != nil {
		sess.stop()
		return nil, err
	}
	ss.cur = sess
	return sess, nil
}

// current returns the live session, or nil; it never grants one.
func (ss *sessions) current() *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.cur != nil && ss.cur.alive() {
		return ss.cur
	}
	return nil
}

// end stops the current session and revokes its lease, so its locks vanish
// now rather than a TTL later.
func (ss *sessions) end(s *Store) {
	ss.mu.Lock()
	sess := ss.cur
	ss.cur = nil
	ss.mu.Unlock()
	if sess == nil {
		return
	}
	sess.stop()
	if s.client.Ctx().Err() != nil {
		return // the client is closed (by its owner): etcd expires the lease
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(s.sessionTTL, s.requestTimeout))
	defer cancel()
	if _, err := s.client.Revoke(ctx, sess.id); err != nil {
		s.log.Warn("etcd store: cannot revoke the session lease; its locks expire with it", "err", err)
	}
}

// keepSession drains the keepalive answers of sess and ends it when they
// stop. It does not wait for the client's own verdict (no answer for a whole
// TTL, when etcd may already have expired the lease): without an answer for
// three quarters of the TTL the session counts as lost, so the store says
// its locks are lost before another process can take them. Real time, not
// the store's clock: this is the cadence of the connection, not a decision.
func (s *Store) keepSession(sess *session, answers <-chan *clientv3.LeaseKeepAliveResponse, ttl time.Duration) {
	defer sess.stop()
	trust := ttl * 3 / 4
	timer := time.NewTimer(trust)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-answers:
			if !ok {
				if sess.alive() {
					s.log.Warn("etcd store: session lease lost; the locks bound to it are lost", "lease", int64(sess.id))
				}
				return
			}
			timer.Reset(trust)
		case <-timer.C:
			s.log.Warn("etcd store: no keepalive answer in time; the locks of the session are lost",
				"lease", int64(sess.id), "after", trust)
			return
		case <-sess.done:
			return
		}
	}
}
