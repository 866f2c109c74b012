package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/certflow/certflow/store"
)

// Errors of this package, besides the store package's. Test with errors.Is.
var (
	// ErrUnavailable means etcd did not answer: no server reachable, no
	// leader, a timeout, or a server refusing writes (out of space, too
	// many requests). Retry later; the store's data is intact.
	ErrUnavailable = errors.New("etcd: unavailable")
	// ErrAuth means etcd refused the credentials or the operation.
	ErrAuth = errors.New("etcd: authentication failed or permission denied")
	// ErrClosed is returned by operations on a closed Store.
	ErrClosed = errors.New("etcd: store closed")
)

// fail turns an error of the etcd client into one callers can branch on,
// prefixed with what was attempted. It never adds credentials: etcd's own
// messages hold none.
func (s *Store) fail(op string, err error) error {
	if kind := s.classify(err); kind != nil && !errors.Is(err, kind) {
		return fmt.Errorf("etcd: %s: %w: %w", op, kind, err)
	}
	return fmt.Errorf("etcd: %s: %w", op, err)
}

// classify returns the sentinel err belongs under, or nil.
func (s *Store) classify(err error) error {
	if s.isClosed() {
		return ErrClosed
	}
	if s.client != nil && s.client.Ctx().Err() != nil {
		return ErrUnavailable // its owner closed the client under the store
	}
	if errors.Is(err, context.Canceled) {
		return nil // the caller gave up
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// clientv3 waits for a connection until the deadline: the
		// deadline is how an unreachable etcd shows.
		return ErrUnavailable
	}
	switch {
	case errors.Is(err, rpctypes.ErrAuthFailed), errors.Is(err, rpctypes.ErrUserEmpty),
		errors.Is(err, rpctypes.ErrInvalidAuthToken), errors.Is(err, rpctypes.ErrPermissionDenied),
		errors.Is(err, rpctypes.ErrAuthOldRevision):
		return ErrAuth
	case errors.Is(err, rpctypes.ErrRequestTooLarge), errors.Is(err, rpctypes.ErrTooManyOps):
		return store.ErrInvalid
	}
	if tooLargeForClient(err) {
		return store.ErrInvalid
	}
	switch grpcCode(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted:
		return ErrUnavailable
	case codes.PermissionDenied, codes.Unauthenticated:
		return ErrAuth
	}
	return nil
}

// tooLargeForClient reports whether err is the client refusing an answer
// over its own receive limit (clientv3.Config.MaxCallRecvMsgSize): etcd
// sent it, so a smaller request may pass.
func tooLargeForClient(err error) bool {
	return grpcCode(err) == codes.ResourceExhausted && strings.Contains(err.Error(), "larger than max")
}

func grpcCode(err error) codes.Code {
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		return ee.Code()
	}
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	return codes.Unknown
}
