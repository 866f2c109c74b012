package etcd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// reconnect is how the client dials etcd again after losing it: at most
// 2 s apart, so work resumes within 2 s of etcd's return (gRPC's default
// waits up to 2 minutes).
var reconnect = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 250 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
	MinConnectTimeout: 5 * time.Second,
}

// Store is a store.Store kept in etcd. The zero value is not usable; call
// Open. It is safe for concurrent use, by goroutines and by processes on any
// machine that reach the same etcd with the same prefix, and must be closed.
//
// It runs a goroutine per Watch (until the watch's ctx ends or the store
// closes) and, once a lock has been taken, one that keeps the session
// lease alive until Close.
type Store struct {
	client         *clientv3.Client
	ownClient      bool
	keys           keys
	clock          clock.Clock
	log            *slog.Logger
	requestTimeout time.Duration
	sessionTTL     time.Duration
	pageSize       int
	growPages      bool  // PageSize was left zero: see nextPageSize
	pageBytes      int64 // what a growing page aims at: DefaultPageBytes
	watchBuffer    int
	// placeholder marks the ResourceVersion in an object's JSON while it
	// is encoded (see encodeValue); random, so no object holds it.
	placeholder string

	closed atomic.Bool
	// life is done once Close is called: every goroutine and watch of the
	// store ends with it. (A lifetime, not a request's context.)
	life      context.Context
	endLife   context.CancelFunc
	closeOnce sync.Once
	goMu      sync.Mutex     // orders starting goroutines before Close's wait
	wg        sync.WaitGroup // the store's goroutines

	sessions sessions
	held     heldLocks
	versions versionCache
}

var _ store.Store = (*Store)(nil)

// Open returns a store on the etcd that cfg names. It does not wait for etcd
// to be reachable, except to log in when cfg has a Username (bounded by
// DialTimeout): operations fail with ErrUnavailable while it is not.
func Open(cfg Config) (*Store, error) { return open(cfg, nil) }

// open is Open, the store's own client (if it dials one) dialled with
// dial added to its options.
func open(cfg Config, dial []grpc.DialOption) (*Store, error) {
	growPages := cfg.PageSize <= 0
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("etcd: open: %w", err)
	}
	s := &Store{
		client:         cfg.Client,
		keys:           keys{prefix: cfg.Prefix},
		clock:          cfg.Clock,
		log:            cfg.Logger,
		requestTimeout: cfg.RequestTimeout,
		sessionTTL:     cfg.SessionTTL,
		pageSize:       cfg.PageSize,
		growPages:      growPages,
		pageBytes:      DefaultPageBytes,
		watchBuffer:    cfg.WatchBuffer,
		placeholder:    "certflow-rv-" + hex.EncodeToString(nonce[:]),
	}
	s.life, s.endLife = context.WithCancel(context.Background())
	s.versions.init()
	if s.client == nil {
		tlsCfg, err := cfg.tlsConfig()
		if err != nil {
			s.endLife()
			return nil, err
		}
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   cfg.Endpoints,
			DialTimeout: cfg.DialTimeout,
			TLS:         tlsCfg,
			Username:    cfg.Username,
			Password:    cfg.Password,
			Logger:      zapToSlog(cfg.Logger),
			// A connection that stops answering (a partition, a
			// dead host) is noticed in seconds, not TCP minutes.
			DialKeepAliveTime:    10 * time.Second,
			DialKeepAliveTimeout: 5 * time.Second,
			DialOptions:          append([]grpc.DialOption{grpc.WithConnectParams(reconnect)}, dial...),
		})
		if err != nil {
			s.endLife()
			return nil, s.fail("open "+fmt.Sprint(cfg.Endpoints), err)
		}
		s.client, s.ownClient = c, true
	}
	return s, nil
}

// Client returns the etcd client the store uses.
func (s *Store) Client() *clientv3.Client { return s.client }

// Prefix returns the prefix of every key the store writes.
func (s *Store) Prefix() string { return s.keys.prefix }

// Close revokes the session lease (freeing every lock this store holds at
// once), ends every watch and closes the client if Open created it. It
// waits for the store's goroutines to exit.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.goMu.Lock()
		s.closed.Store(true)
		s.goMu.Unlock()
		s.endLife()
		s.sessions.end(s)
		if s.ownClient {
			err = s.client.Close()
		}
		s.wg.Wait()
	})
	return err
}

func (s *Store) isClosed() bool { return s.closed.Load() }

// opContext bounds one etcd request: by the caller's deadline, by
// RequestTimeout, and by the store's life. It also asks etcd to fail at
// once when the member it reaches has no leader, rather than wait.
func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	return clientv3.WithRequireLeader(ctx), cancel
}

// Get decodes the object named ref into into (zeroed first).
func (s *Store) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("etcd: get %s: %w", ref, err)
	}
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("etcd: get: %w", err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	key := s.keys.object(ref)
	resp, err := s.client.Get(ctx, key)
	if err != nil {
		return s.fail("get "+ref.String(), err)
	}
	if len(resp.Kvs) == 0 {
		return fmt.Errorf("etcd: get %s: %w", ref, store.ErrNotFound)
	}
	kv := resp.Kvs[0]
	v, err := parseValue(kv.Value)
	if err != nil {
		return fmt.Errorf("etcd: get: %w", corruptValue(ref, kv.Key, err))
	}
	if err := objects.Decode(v.object, into); err != nil {
		return fmt.Errorf("etcd: get: %w", corruptValue(ref, kv.Key, err))
	}
	m := into.GetMeta()
	m.ResourceVersion = objects.FormatRevision(uint64(kv.ModRevision))
	s.versions.remember(key, kv.ModRevision, m)
	return nil
}

// spawn runs fn in a goroutine that Close waits for, unless the store is
// closed.
func (s *Store) spawn(fn func()) error {
	s.goMu.Lock()
	defer s.goMu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
	return nil
}

// check returns why no operation may start: ctx is done or the store closed.
func (s *Store) check(ctx context.Context) error {
	if s.isClosed() {
		return ErrClosed
	}
	return ctx.Err()
}
