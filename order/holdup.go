package order

import (
	"fmt"
	"strings"
)

// waitingForChallenges is the reason of a pending order whose
// Challenges are under way and nothing else holds it up.
func waitingForChallenges(n int) string { return fmt.Sprintf("waiting for %d challenge(s)", n) }

// Holdup returns what o's reason says beyond the routine wait for its
// Challenges (a problem at the CA and when it is retried, no solver for
// an identifier), or "" when it is simply on its way. A request mirrors
// the Order's state in its Ready condition (as cert-manager does, whose
// message names the state only) and adds this, so the Challenges coming
// and going do not rewrite the request.
func Holdup(o *Order) string {
	r := o.Status.Reason
	if strings.HasPrefix(r, "waiting for ") && strings.HasSuffix(r, " challenge(s)") {
		var n int
		if _, err := fmt.Sscanf(r, "waiting for %d challenge(s)", &n); err == nil && r == waitingForChallenges(n) {
			return ""
		}
	}
	return r
}
