package challenge

import (
	"fmt"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
)

// recordAuthorization records what authz says about the challenge.
func (r *Reconciler) recordAuthorization(o outcome, authz *acme.Authorization) {
	st := &o.ch.Status
	switch acmeproto.Status(authz.Status) {
	case acmeproto.StatusValid:
		st.State, st.Reason, st.NotBefore = StateValid, "Successfully authorized domain", nil
		o.event(meta.EventNormal, ReasonValid, fmt.Sprintf("%s challenge for %s is valid", o.ch.Spec.Type, o.ch.Spec.DNSName))
		return
	case acmeproto.StatusInvalid:
		st.Problem = failureProblem(authz, o.ch.Spec.URL)
		o.failed(StateInvalid, FailureReason(authz, o.ch.Spec.URL))
		return
	case acmeproto.StatusExpired, acmeproto.StatusDeactivated, acmeproto.StatusRevoked:
		o.failed(StateExpired, fmt.Sprintf("authorization for %s is %s", authz.Identifier.Value, authz.Status))
		return
	case acmeproto.StatusPending, acmeproto.StatusReady, acmeproto.StatusProcessing:
	}
	st.State, st.Reason = challengeState(authz, o.ch.Spec.URL), ""
	o.notBefore(r.authzPoll(o))
}

// challengeState is the state of a pending authorization's challenge url.
func challengeState(authz *acme.Authorization, url string) State {
	for _, c := range authz.Challenges {
		if c.URI == url && c.Status == acme.StatusProcessing {
			return StateProcessing
		}
	}
	return StatePending
}

// failureProblem is the CA's problem behind an invalid authorization: that
// of the challenge at challengeURL, else the first one with a problem.
func failureProblem(authz *acme.Authorization, challengeURL string) *Problem {
	var out *Problem
	for _, c := range authz.Challenges {
		if c.Error == nil || (out != nil && c.URI != challengeURL) {
			continue
		}
		p := acmeproto.Classify(c.Error, time.Time{})
		out = &Problem{Type: p.Type, Detail: p.Detail}
	}
	return out
}

// FailureReason explains an invalid authorization: the identifier, the
// failed challenge(s) and the CA's problem detail. challengeURL, if set,
// names the challenge to report first.
func FailureReason(authz *acme.Authorization, challengeURL string) string {
	name := authz.Identifier.Value
	if authz.Wildcard {
		name = "*." + name
	}
	var details []string
	for _, c := range authz.Challenges {
		if c.Error == nil {
			continue
		}
		d := fmt.Sprintf("%s: %s", c.Type, acmeproto.Classify(c.Error, time.Time{}))
		if c.URI == challengeURL {
			details = append([]string{d}, details...)
		} else {
			details = append(details, d)
		}
	}
	if len(details) == 0 {
		return fmt.Sprintf("authorization for %q is %s (the CA gave no detail)", name, authz.Status)
	}
	reason := fmt.Sprintf("authorization for %q is %s: %s", name, authz.Status, details[0])
	for _, d := range details[1:] {
		reason += "; " + d
	}
	return reason
}
