package acmetest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/letsencrypt/pebble/v2/acme"
	"github.com/letsencrypt/pebble/v2/core"
)

const (
	// challengePathPrefix and authzPathPrefix are Pebble's (unexported)
	// challenge and authorization paths.
	challengePathPrefix = "/chalZ/"
	authzPathPrefix     = "/authZ/"
	// validationPoll is how often a deactivation looks whether the
	// authorization's validation has ended.
	validationPoll = time.Millisecond
)

// Pebble v2.10.3 leaks read locks: when it displays an authorization that
// is no longer pending, it read-locks every challenge and forgets to unlock
// the ones it hides (wfe.prepAuthorizationForDisplay): those still pending,
// and one being validated. Any later write lock on such a challenge blocks
// forever — accepting it (the challenge handler write-locks it), or
// finishing its validation (the validation goroutine write-locks it while
// holding the authorization's write lock, which then blocks every new
// order). So the front keeps two rules, RFC 8555 lets a server keep them,
// and Boulder keeps the first:
//
//   - it accepts a challenge only while its authorization is pending and
//     none of its siblings was accepted (refuseAccept): then no display has
//     leaked a lock on it, and none will before it is final;
//   - it passes a deactivation on only once no challenge of the
//     authorization is being validated (awaitValidation): a deactivated
//     authorization's display would hide that challenge.
//
// Both look at the authorization, then let Pebble change it. An accept's
// check and Pebble's accept run in one turn of the serial slot, so no
// other request comes between them; a deactivation cannot wait for the
// validation authority in that slot (every request would wait with it),
// so an accept of a sibling could start a validation between its wait and
// its turn. Each request that checks or changes an authorization (reads
// and deactivations of it, accepts of its challenges) therefore holds the
// authorization's lock in authzs (authzOf) from before its check until
// Pebble has answered; other authorizations go on meanwhile.

// authzOf returns the ID of the authorization whose lock r must hold: r's
// own for a request to an authorization, its challenge's for a challenge
// accept; "" for any other request, or a challenge Pebble does not know
// (Pebble answers 404).
func (f *front) authzOf(r *http.Request, body []byte) string {
	if r.Method != http.MethodPost {
		return ""
	}
	switch classify(r.URL.Path) {
	case EndpointAuthz:
		return strings.TrimPrefix(r.URL.Path, authzPathPrefix)
	case EndpointChallenge:
		if !isAccept(body) {
			return ""
		}
		chal := f.pebble.db.GetChallengeByID(strings.TrimPrefix(r.URL.Path, challengePathPrefix))
		if chal == nil {
			return ""
		}
		chal.RLock()
		defer chal.RUnlock()
		if chal.Authz == nil {
			return ""
		}
		return chal.Authz.ID
	}
	return ""
}

// refuseAccept reports whether a POST to a challenge must be refused before
// Pebble sees it, and why. It must run under the authorization's lock
// (authzOf), in the serial slot.
func (f *front) refuseAccept(r *http.Request, body []byte) (string, bool) {
	if r.Method != http.MethodPost || classify(r.URL.Path) != EndpointChallenge || !isAccept(body) {
		return "", false
	}
	chal := f.pebble.db.GetChallengeByID(strings.TrimPrefix(r.URL.Path, challengePathPrefix))
	if chal == nil {
		return "", false // Pebble answers 404
	}
	chal.RLock()
	status, authz := chal.Status, chal.Authz
	chal.RUnlock()
	if status != acme.StatusPending || authz == nil {
		return "", false // Pebble refuses without a write lock
	}
	authz.RLock()
	defer authz.RUnlock()
	if authz.Status != acme.StatusPending {
		return "authorization is " + authz.Status + ", not pending", true
	}
	for _, c := range authz.Challenges {
		if c != chal && siblingStarted(c) {
			return "another challenge of this authorization was already accepted", true
		}
	}
	return "", false
}

func siblingStarted(c *core.Challenge) bool {
	c.RLock()
	defer c.RUnlock()
	return c.Status != acme.StatusPending
}

// awaitValidation holds a deactivation of the authorization id (a POST
// with a payload; Pebble refuses any other update) until none of its
// challenges is being validated, ctx ends or the Server closes. Pebble's
// validation authority ends every validation within its timeout and tells
// nobody. It must run under the authorization's lock, outside the serial
// slot.
func (f *front) awaitValidation(ctx context.Context, id string) error {
	var t *time.Ticker
	for f.validating(id) {
		if t == nil {
			t = time.NewTicker(validationPoll)
			defer t.Stop()
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-f.closing:
			return errClosing
		}
	}
	return nil
}

// validating reports whether a challenge of the authorization id is being
// validated. It takes one of Pebble's locks at a time.
func (f *front) validating(id string) bool {
	authz := f.pebble.db.GetAuthorizationByID(id)
	if authz == nil {
		return false
	}
	authz.RLock()
	chals := append([]*core.Challenge(nil), authz.Challenges...)
	authz.RUnlock()
	for _, c := range chals {
		c.RLock()
		processing := c.Status == acme.StatusProcessing
		c.RUnlock()
		if processing {
			return true
		}
	}
	return false
}

// isAccept reports whether body is a JWS whose payload is not empty, i.e. a
// challenge response rather than a POST-as-GET poll.
func isAccept(body []byte) bool {
	var jws struct {
		Payload string `json:"payload"`
	}
	return json.Unmarshal(body, &jws) == nil && jws.Payload != ""
}
