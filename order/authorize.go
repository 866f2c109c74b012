package order

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// authorize mirrors the authorizations, creates one Challenge per pending
// authorization, and fails the order when one of its Challenges failed.
func (r *Reconciler) authorize(ctx context.Context, cl *acme.Client, o *Order, ao *acme.Order, solvers []solver.Config) (time.Time, error) {
	if len(o.Status.Authorizations) != len(ao.AuthzURLs) {
		if next, err := r.mirrorAuthorizations(ctx, cl, o, ao); err != nil || !next.IsZero() {
			return next, err
		}
	}
	owner := meta.RefOf(o)
	existing, err := store.ListOf[challenge.Challenge](ctx, r.deps.Store, store.ListOptions{
		Kind: meta.KindChallenge, Namespace: o.ObjectMeta.Namespace, Owner: &owner,
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("order: list challenges: %w", err)
	}
	byAuthz := map[string]*challenge.Challenge{}
	for _, ch := range existing {
		byAuthz[ch.Spec.AuthorizationURL] = ch
	}

	var noSolver []string
	var failed []string
	failState := challenge.StateErrored
	pending := 0
	for _, az := range o.Status.Authorizations {
		if az.InitialState != challenge.StatePending {
			continue
		}
		if ch, ok := byAuthz[az.URL]; ok {
			switch {
			case ch.Status.State == challenge.StateValid:
			case ch.Status.State.IsFinal():
				if ch.Status.State == challenge.StateInvalid {
					failState = challenge.StateInvalid
				}
				failed = append(failed, fmt.Sprintf("%s challenge for %q: %s", ch.Spec.Type, displayName(az), ch.Status.Reason))
			default:
				pending++
			}
			continue
		}
		ch, ok, err := r.newChallenge(cl, o, az, solvers)
		if err != nil {
			return time.Time{}, err
		}
		if !ok {
			noSolver = append(noSolver, noSolverReason(az))
			continue
		}
		if err := r.deps.Store.Create(ctx, ch); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return time.Time{}, fmt.Errorf("order: create challenge %s: %w", ch.ObjectMeta.Name, err)
		}
		pending++
	}
	if len(failed) > 0 {
		return r.fail(ctx, o, failState, ReasonFailed, strings.Join(failed, "; "))
	}
	if len(noSolver) > 0 {
		reason := strings.Join(noSolver, "; ")
		if o.Status.Reason != reason {
			r.event(o, meta.EventWarning, ReasonSolver, reason)
		}
		return r.setState(ctx, o, challenge.StatePending, reason, r.opts.NoSolverRetry)
	}
	reason := ""
	if pending > 0 {
		reason = fmt.Sprintf("waiting for %d challenge(s)", pending)
	}
	return r.setState(ctx, o, challenge.StatePending, reason, challenge.Pace(r.opts.RetryAfter, o.Status.URL, r.opts.PendingPollInterval))
}

// mirrorAuthorizations reads every authorization once and records it.
func (r *Reconciler) mirrorAuthorizations(ctx context.Context, cl *acme.Client, o *Order, ao *acme.Order) (time.Time, error) {
	azs := make([]Authorization, 0, len(ao.AuthzURLs))
	for _, u := range ao.AuthzURLs {
		actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
		a, err := cl.GetAuthorization(actx, u)
		cancel()
		if err != nil {
			return r.acmeError(ctx, o, "get authorization", err)
		}
		az := Authorization{
			URL:          u,
			Identifier:   a.Identifier.Value,
			Wildcard:     a.Wildcard,
			InitialState: authzState(a.Status),
		}
		for _, c := range a.Challenges {
			az.Challenges = append(az.Challenges, ACMEChallenge{URL: c.URI, Token: c.Token, Type: c.Type})
		}
		azs = append(azs, az)
	}
	o.Status.Authorizations = azs
	o.Status.State = challenge.StatePending
	if err := r.update(ctx, o); err != nil {
		return time.Time{}, err
	}
	return time.Time{}, nil
}

func authzState(status string) challenge.State {
	switch status {
	case acme.StatusPending:
		return challenge.StatePending
	case acme.StatusValid:
		return challenge.StateValid
	case acme.StatusInvalid:
		return challenge.StateInvalid
	}
	return challenge.StateExpired
}

// newChallenge builds the Challenge for one pending authorization, or
// reports that no solver matches it.
func (r *Reconciler) newChallenge(cl *acme.Client, o *Order, az Authorization, solvers []solver.Config) (*challenge.Challenge, bool, error) {
	offered := make([]solver.Type, 0, len(az.Challenges))
	for _, c := range az.Challenges {
		offered = append(offered, solverType(c.Type))
	}
	i, ok := solver.SelectOffered(solvers, az.Identifier, az.Wildcard, o.ObjectMeta.Labels, offered)
	if !ok {
		return nil, false, nil
	}
	cfg := solvers[i]
	var offer ACMEChallenge
	for _, c := range az.Challenges {
		if solverType(c.Type) == cfg.Type() {
			offer = c
			break
		}
	}
	keyAuth, err := cl.HTTP01ChallengeResponse(offer.Token)
	if err != nil {
		return nil, false, fmt.Errorf("order: key authorization: %w", err)
	}
	labels := make(map[string]string, len(o.ObjectMeta.Labels))
	for k, v := range o.ObjectMeta.Labels {
		labels[k] = v
	}
	ch := &challenge.Challenge{
		TypeMeta: meta.TypeMeta{APIVersion: meta.KindChallenge.APIVersion(), Kind: meta.KindChallenge},
		ObjectMeta: meta.ObjectMeta{
			Namespace: o.ObjectMeta.Namespace,
			Name:      challengeName(o.ObjectMeta.Name, az.URL, offer.Type),
			Labels:    labels,
			OwnerRefs: []meta.Ref{meta.RefOf(o)},
		},
		Spec: challenge.Spec{
			URL:              offer.URL,
			AuthorizationURL: az.URL,
			DNSName:          az.Identifier,
			Wildcard:         az.Wildcard,
			Type:             cfg.Type(),
			Token:            offer.Token,
			Key:              keyAuth,
			Solver:           cfg,
			IssuerRef:        o.Spec.IssuerRef,
		},
	}
	if len(labels) == 0 {
		ch.ObjectMeta.Labels = nil
	}
	return ch, true, nil
}

// solverType maps an ACME wire type ("http-01") to a solver.Type.
func solverType(acmeType string) solver.Type {
	return solver.Type(strings.ToUpper(acmeType))
}

func displayName(az Authorization) string {
	if az.Wildcard {
		return "*." + az.Identifier
	}
	return az.Identifier
}

func noSolverReason(az Authorization) string {
	var types []string
	for _, c := range az.Challenges {
		types = append(types, c.Type)
	}
	hint := "offered: " + strings.Join(types, ", ")
	if az.Wildcard {
		hint = "wildcards need a DNS-01 solver"
	}
	return fmt.Sprintf("no solver matches identifier %q (%s)", displayName(az), hint)
}

// invalidReason explains an invalid ACME order: the CA's order problem and,
// for each invalid authorization, the failed challenge and its detail.
func (r *Reconciler) invalidReason(ctx context.Context, cl *acme.Client, o *Order, ao *acme.Order) string {
	var parts []string
	for _, u := range ao.AuthzURLs {
		actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
		a, err := cl.GetAuthorization(actx, u)
		cancel()
		if err != nil {
			parts = append(parts, fmt.Sprintf("authorization %s: %v", u, err))
			continue
		}
		if a.Status == acme.StatusInvalid {
			parts = append(parts, challenge.FailureReason(a, ""))
		}
	}
	// The order's own problem usually repeats an authorization's; it is
	// the explanation only when no authorization gives one.
	if len(parts) == 0 && ao.Error != nil {
		parts = append(parts, fmt.Sprintf("order: %s: %s", ao.Error.ProblemType, ao.Error.Detail))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("ACME order %s is invalid (the CA gave no detail)", o.Status.URL)
	}
	return strings.Join(parts, "; ")
}
