package challenge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// present calls the solver's Present and marks the challenge Presented. The
// intent (Processing) is recorded first, so a crash during Present still
// leads to CleanUp.
func (r *Reconciler) present(ctx context.Context, ch *Challenge) (time.Time, error) {
	// A solver that cannot be built presented nothing: no cleanup is owed.
	s, err := r.solverFor(ctx, ch)
	if err != nil {
		return time.Time{}, errors.Join(err, r.setReason(ctx, ch, meta.EventWarning, ReasonPresentError, "present: "+err.Error()))
	}
	if !ch.Status.Processing {
		if rn, ok := s.(solver.RecordNamer); ok && ch.Status.RecordName == "" {
			// Recorded with the intent, so every later step (lock, Present,
			// check, CleanUp) uses this name even after a CNAME change.
			name, err := rn.RecordName(ctx, ch.Info())
			if err != nil {
				err = fmt.Errorf("challenge: record name of %s: %w", ch.ObjectMeta.Name, err)
				return time.Time{}, errors.Join(err, r.setReason(ctx, ch, meta.EventWarning, ReasonPresentError, err.Error()))
			}
			ch.Status.RecordName = name
		}
		ch.Status.Processing = true
		if ch.Status.State == StateUnknown {
			ch.Status.State = StatePending
		}
		if err := r.update(ctx, ch); err != nil {
			return time.Time{}, err
		}
	}
	pctx, cancel := context.WithTimeout(ctx, r.opts.PresentTimeout)
	defer cancel()
	next, err := r.withRecordLock(pctx, ch, func(ctx context.Context) error {
		return s.Present(ctx, ch.Info())
	})
	if err != nil || !next.IsZero() {
		if err != nil {
			err = fmt.Errorf("challenge: present %s: %w", ch.ObjectMeta.Name, err)
			return time.Time{}, errors.Join(err, r.setReason(ctx, ch, meta.EventWarning, ReasonPresentError, err.Error()))
		}
		return next, nil
	}
	now := r.deps.Clock.Now()
	ch.Status.Presented = true
	ch.Status.PresentedAt = &now
	ch.Status.Reason = ""
	r.event(ch, meta.EventNormal, ReasonPresented, fmt.Sprintf("presented %s challenge for %s", ch.Spec.Type, ch.Spec.DNSName))
	if err := r.update(ctx, ch); err != nil {
		return time.Time{}, err
	}
	return r.checkAndAccept(ctx, ch)
}

// checkAndAccept runs one self-check attempt and, once it passes, tells the
// CA to validate.
func (r *Reconciler) checkAndAccept(ctx context.Context, ch *Challenge) (time.Time, error) {
	s, err := r.solverFor(ctx, ch)
	if err != nil {
		return time.Time{}, err
	}
	if err := r.selfCheck(ctx, ch, s); err != nil {
		now := r.deps.Clock.Now()
		reason := err.Error()
		if !errors.Is(err, solver.ErrSelfCheck) {
			reason = "self-check: " + reason
		}
		if ch.Status.PresentedAt != nil && !now.Before(ch.Status.PresentedAt.Add(r.opts.SelfCheckTimeout)) {
			return r.fail(ctx, ch, StateErrored, fmt.Sprintf("%s (gave up after %v)", reason, r.opts.SelfCheckTimeout))
		}
		if err := r.setReason(ctx, ch, meta.EventNormal, ReasonSelfCheck, reason); err != nil {
			return time.Time{}, err
		}
		return now.Add(r.opts.SelfCheckInterval), nil
	}

	cl, err := r.client(ctx, ch)
	if err != nil {
		return time.Time{}, err
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.AttemptTimeout)
	defer cancel()
	if _, err := cl.Accept(actx, &acme.Challenge{URI: ch.Spec.URL}); err != nil {
		if next, ok, uerr := r.rateLimited(ctx, ch, err); ok {
			return next, uerr
		}
		r.noticeAccountGone(ch, err)
		if !finalACMEError(err) {
			return time.Time{}, fmt.Errorf("challenge: accept %s: %w", ch.ObjectMeta.Name, err)
		}
		// A crash between Accept and the status write makes the CA refuse a
		// second Accept: look at the challenge before failing.
		got, gerr := cl.GetChallenge(actx, ch.Spec.URL)
		if gerr != nil || got.Status == acme.StatusPending {
			return r.fail(ctx, ch, StateErrored, "accept: "+acmeDetail(err))
		}
	}
	ch.Status.Accepted = true
	ch.Status.State = StateProcessing
	ch.Status.Reason = ""
	r.event(ch, meta.EventNormal, ReasonAccepted, "the CA was asked to validate the challenge")
	if err := r.update(ctx, ch); err != nil {
		return time.Time{}, err
	}
	return r.deps.Clock.Now().Add(r.opts.PollInterval), nil
}

func (r *Reconciler) selfCheck(ctx context.Context, ch *Challenge, s solver.Solver) error {
	cctx, cancel := context.WithTimeout(ctx, r.opts.AttemptTimeout)
	defer cancel()
	if r.opts.SelfCheck != nil {
		return r.opts.SelfCheck(cctx, ch, s)
	}
	if c, ok := s.(solver.Checker); ok {
		return c.Check(cctx, ch.Info())
	}
	return nil
}

// wait polls the authorization until it is final.
func (r *Reconciler) wait(ctx context.Context, ch *Challenge) (time.Time, error) {
	cl, err := r.client(ctx, ch)
	if err != nil {
		return time.Time{}, err
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.AttemptTimeout)
	defer cancel()
	authz, err := cl.GetAuthorization(actx, ch.Spec.AuthorizationURL)
	if err != nil {
		if next, ok, uerr := r.rateLimited(ctx, ch, err); ok {
			return next, uerr
		}
		r.noticeAccountGone(ch, err)
		if finalACMEError(err) {
			return r.fail(ctx, ch, StateErrored, "get authorization: "+acmeDetail(err))
		}
		return time.Time{}, fmt.Errorf("challenge: get authorization %s: %w", ch.Spec.AuthorizationURL, err)
	}
	switch authz.Status {
	case acme.StatusValid:
		ch.Status.State = StateValid
		ch.Status.Reason = "Successfully authorized domain"
		r.event(ch, meta.EventNormal, ReasonValid, fmt.Sprintf("%s challenge for %s is valid", ch.Spec.Type, ch.Spec.DNSName))
		if err := r.update(ctx, ch); err != nil {
			return time.Time{}, err
		}
		return r.finish(ctx, ch)
	case acme.StatusInvalid:
		return r.fail(ctx, ch, StateInvalid, FailureReason(authz, ch.Spec.URL))
	case acme.StatusExpired, acme.StatusDeactivated, acme.StatusRevoked:
		return r.fail(ctx, ch, StateExpired, fmt.Sprintf("authorization for %s is %s", authz.Identifier.Value, authz.Status))
	}
	state := StatePending
	for _, c := range authz.Challenges {
		if c.URI == ch.Spec.URL && c.Status == acme.StatusProcessing {
			state = StateProcessing
		}
	}
	if ch.Status.State != state || ch.Status.Reason != "" {
		ch.Status.State, ch.Status.Reason = state, ""
		if err := r.update(ctx, ch); err != nil {
			return time.Time{}, err
		}
	}
	return r.deps.Clock.Now().Add(Pace(r.opts.RetryAfter, ch.Spec.AuthorizationURL, r.opts.PollInterval)), nil
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
		d := fmt.Sprintf("%s: %s", c.Type, acmeDetail(c.Error))
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
