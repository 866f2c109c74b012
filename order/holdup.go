package order

import (
	"strconv"
	"strings"
)

// waitingForChallenges is the reason of a pending order whose
// Challenges are under way and nothing else holds it up.
func waitingForChallenges(n int) string {
	return "waiting for " + strconv.Itoa(n) + " challenge(s)"
}

// Holdup returns what o's reason says beyond the routine wait for its
// Challenges (a problem at the CA and when it is retried, no solver for
// an identifier), or "" when it is simply on its way. A request mirrors
// the Order's state in its Ready condition (as cert-manager does, whose
// message names the state only) and adds this, so the Challenges coming
// and going do not rewrite the request.
func Holdup(o *Order) string {
	r := o.Status.Reason
	if n, ok := strings.CutPrefix(r, "waiting for "); ok {
		if n, ok := strings.CutSuffix(n, " challenge(s)"); ok {
			// Read on every visit of the request: no fmt scanning.
			if v, err := strconv.Atoi(n); err == nil && r == waitingForChallenges(v) {
				return ""
			}
		}
	}
	return r
}
