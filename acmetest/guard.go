package acmetest

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/letsencrypt/pebble/v2/acme"
	"github.com/letsencrypt/pebble/v2/core"
)

// challengePathPrefix is Pebble's (unexported) challenge path.
const challengePathPrefix = "/chalZ/"

// refuseAccept reports whether a POST to a challenge must be refused before
// Pebble sees it, and why. It must run inside the serial slot.
//
// Pebble v2.10.3 leaks read locks: when it displays an authorization that is
// no longer pending, it read-locks every challenge and forgets to unlock the
// ones it hides (wfe.prepAuthorizationForDisplay). Any later write lock on
// such a challenge blocks forever — accepting it (the challenge handler
// write-locks it), or finishing its validation (the validation goroutine
// write-locks it while holding the authorization's write lock, which then
// blocks every new-order). So acmetest accepts a challenge only while its
// authorization is pending and none of its siblings was accepted: then no
// display has leaked a lock on it, and none will before it is final. RFC 8555
// lets a server refuse such requests; Boulder does too.
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

// isAccept reports whether body is a JWS whose payload is not empty, i.e. a
// challenge response rather than a POST-as-GET poll.
func isAccept(body []byte) bool {
	var jws struct {
		Payload string `json:"payload"`
	}
	return json.Unmarshal(body, &jws) == nil && jws.Payload != ""
}
