package acmetest

import (
	"context"
	"net/url"
	"strings"
)

// LockAuthz takes, for a test, the front's lock of the authorization at
// authzURL, as a request to it would, and returns the function that gives
// it back.
func LockAuthz(ctx context.Context, s *Server, authzURL string) (unlock func(), err error) {
	return s.front.authzs.Lock(ctx, authzIDOf(authzURL), s.closing)
}

// AuthzLockWanted returns how many requests hold or wait for the front's
// lock of the authorization at authzURL.
func AuthzLockWanted(s *Server, authzURL string) int {
	return s.front.authzs.Wanted(authzIDOf(authzURL))
}

func authzIDOf(authzURL string) string {
	u, err := url.Parse(authzURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, authzPathPrefix)
}
