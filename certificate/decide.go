package certificate

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
)

// duplicateRecheck is how long a Certificate that does not own its Secret
// waits before looking again, as cert-manager's trigger controller requeues it.
const duplicateRecheck = 3 * time.Minute

// decide is the Certificate's whole decision over a snapshot, in the order of
// cert-manager's controllers: ownership of the Secret, key manager, issuing,
// trigger (with failure backoff), request manager, readiness. It never
// touches the Store, the network or the clock. Each step that writes another
// object than the Certificate (the Secret, a rejected request) or deletes a
// child whose name is about to be reused returns a plan of its own and looks
// again at once.
func decide(s *Snapshot) reconcile.Plan {
	cert := *s.Cert
	cert.Status = s.Cert.Status.deepCopy()
	cert.ObjectMeta.Labels = copyMap(s.Cert.ObjectMeta.Labels)
	d := &decision{s: s, cert: &cert, plan: reconcile.Plan{Object: &cert}}
	d.run()
	if d.plan.Object == meta.Object(d.cert) {
		// Compared through pointers: a Status passed by value is boxed
		// (copied to the heap) twice per visit.
		d.plan.Write = !reflect.DeepEqual(&s.Cert.Status, &cert.Status) ||
			!maps.Equal(s.Cert.ObjectMeta.Labels, cert.ObjectMeta.Labels) ||
			!maps.Equal(s.Cert.ObjectMeta.Annotations, cert.ObjectMeta.Annotations)
	}
	return d.plan
}

type decision struct {
	s    *Snapshot
	cert *Certificate
	plan reconcile.Plan
}

func (d *decision) run() {
	cert, s, now := d.cert, d.s, d.s.Now
	if err := Validate(cert); err != nil {
		d.setReady(meta.ConditionFalse, ReasonInvalid, err.Error())
		cert.Status.Conditions.Remove(meta.ConditionIssuing)
		return
	}
	if !cert.labelled() || !cert.namesCurrent() {
		// Siblings are found by this label: a Certificate stored without it
		// (not through Manager.Apply) issues nothing until it carries it,
		// so two Certificates naming one Secret always see each other. Nor
		// does one whose validation names are stale: a replica would
		// refuse the validations of its new names.
		cert.Default()
		d.plan.Next = now
		return
	}
	if !d.ownsSecret() {
		return
	}

	key, staleKey := usableNextKey(cert, s.NextKey, s.parse)
	if staleKey {
		d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: meta.RefOf(s.NextKey), ResourceVersion: s.NextKey.ObjectMeta.ResourceVersion})
		d.plan.Next = now
	}
	req := s.NextRequest
	if req != nil && !requestFailed(req) && !requestMatches(req, cert, key, s.parse) {
		// Made for an older spec or another key: it can never complete
		// this issuance. Its name is reused, so the new one comes next time.
		d.deleteRequest(req)
		return
	}
	if req != nil && requestIssued(req) && key != nil {
		d.issue(req, key)
		return
	}

	kp := parseKeyPair(s.Secret, s.parse)
	trigger, need := issuanceTrigger(Input{Cert: cert, Secret: s.Secret, CurrentRequest: s.CurrentRequest, Now: now, parse: s.parse}, kp)
	manual := isManual(cert)
	if !need && !manual {
		d.upToDate(kp, req)
		return
	}
	if manual && !need {
		trigger = Trigger{ReasonManuallyTrigger, "Certificate re-issuance manually triggered"}
	}
	d.reflectSecret(trigger)

	if req != nil && requestFailed(req) && passedOver(cert, req) {
		// The issuer cannot issue now: no failure is counted, the next
		// issuer is asked at once.
		d.skip(req, trigger)
		return
	}
	if req != nil && requestFailed(req) {
		if !failureRecorded(cert, req) {
			d.recordFailure(req)
			// A manual renewal asks for one attempt, and this was it: its
			// failure backs off like any other (in cert-manager the failed
			// issuance clears the Issuing condition cmctl renew set). A
			// renewal asked for after this failure retries at once.
			manual = false
		}
		if wait, delay := shouldBackoff(cert, req, now, s.Opts.BackoffMin, s.Opts.BackoffMax); wait && !manual {
			d.plan.Next = now.Add(delay)
			d.headline(trigger)
			return
		}
		d.setIssuing(trigger)
		d.deleteRequest(req)
		return
	}
	if req == nil && !cert.Status.Conditions.IsTrue(meta.ConditionIssuing) && !specChangedSinceFailure(cert) {
		// A failed request deleted by someone else still counts; an
		// attempt already started (Issuing, manual renewals included) goes on.
		if wait, delay := shouldBackoff(cert, nil, now, s.Opts.BackoffMin, s.Opts.BackoffMax); wait {
			d.plan.Next = now.Add(delay)
			d.headline(trigger)
			return
		}
	}

	d.setIssuing(trigger)
	if key == nil {
		if staleKey {
			return // the new key comes once the stale one is gone
		}
		sec := newNextKeySecret(cert, kp)
		d.plan.Create = append(d.plan.Create, sec)
		d.plan.Eventf(meta.EventNormal, ReasonKeyGenerated, "Stored new private key in temporary Secret "+sec.ObjectMeta.Name)
		// The request for that key is created right after it, in the same
		// plan (its CSR is signed with the key prepare puts in sec). Should
		// the key's creation find another key already there, the request
		// does not match it and is replaced on the next visit.
		key = &nextKey{name: sec.ObjectMeta.Name}
	}
	cert.Status.NextPrivateKeySecretName = key.name
	if req == nil {
		// Skips of earlier issuances are history once this one starts,
		// but for the CA waits they record (certificate/fallbackhold.go).
		if cur := keptSkips(cert, now); len(cur) != len(cert.Status.SkippedIssuers) {
			cert.Status.SkippedIssuers = cur
		}
		d.skipHeld()
		r := newRequest(cert, key)
		orderOptions(r, cert, kp, trigger, s.ARI != nil && issuedTheSecret(cert, s.Secret, r.Spec.IssuerRef))
		d.plan.Create = append(d.plan.Create, r)
		d.plan.Eventf(meta.EventNormal, ReasonRequested, "Created new CertificateRequest resource "+r.ObjectMeta.Name)
	}
	// The request's progress re-queues this certificate; nothing to time.
}

// ownsSecret decides, as cert-manager's CertificateOwnsSecret (v1.21.1),
// which of the Certificates naming one Secret owns it: the one the Secret's
// certificate-name annotation names, else the oldest (then first by name).
// The others do not issue (no fight over the Secret) and say why; the owner
// records that it is not alone.
func (d *decision) ownsSecret() bool {
	s, cert := d.s, d.cert
	if len(s.Siblings) == 0 {
		return true
	}
	all := append([]*Certificate{s.Cert}, s.Siblings...)
	slices.SortFunc(all, func(a, b *Certificate) int {
		if c := created(a).Compare(created(b)); c != 0 {
			return c
		}
		return strings.Compare(a.ObjectMeta.Name, b.ObjectMeta.Name)
	})
	owner := all[0].ObjectMeta.Name
	if s.Secret != nil {
		if a, ok := s.Secret.ObjectMeta.Annotations[secretCertificateNameKey]; ok {
			for _, c := range all {
				if c.ObjectMeta.Name == a {
					owner = a
				}
			}
		}
	}
	var others []string
	for _, c := range s.Siblings {
		others = append(others, c.ObjectMeta.Name)
	}
	slices.Sort(others)
	if owner == cert.ObjectMeta.Name {
		d.plan.Eventf(meta.EventWarning, ReasonDuplicateSecretName, fmt.Sprintf(
			"Secret %q is also named by Certificate(s) %s, which do not issue while this Certificate owns it",
			cert.Spec.SecretName, strings.Join(others, ", ")))
		return true
	}
	d.setReady(meta.ConditionFalse, ReasonDuplicateSecretName, fmt.Sprintf(
		"Secret %q is owned by Certificate %q (also named by %s): not issuing until only one Certificate names it",
		cert.Spec.SecretName, owner, strings.Join(others, ", ")))
	cert.Status.Conditions.Remove(meta.ConditionIssuing)
	cert.Status.NextPrivateKeySecretName = ""
	// An issuance this Certificate started before it met its sibling stops
	// here: deleting its request collects the Order and Challenges too.
	if r := s.NextRequest; r != nil {
		d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: meta.RefOf(r), ResourceVersion: r.ObjectMeta.ResourceVersion})
	}
	if k := s.NextKey; k != nil {
		d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: meta.RefOf(k), ResourceVersion: k.ObjectMeta.ResourceVersion})
	}
	d.plan.Next = s.Now.Add(duplicateRecheck)
	return false
}

// issue moves an issued request into the Secret, then records the new
// revision once the Secret holds it.
func (d *decision) issue(req *request.CertificateRequest, key *nextKey) {
	cert, s, now := d.cert, d.s, d.s.Now
	leaf, problem := verifyIssued(cert, req, key, now, d.s.parse)
	if problem != "" {
		d.plan = reconcile.Plan{Object: rejected(req, problem, now), Write: true, Next: now}
		return
	}
	sec, err := issuedSecret(cert, s.Secret, req, key, s.parse)
	switch {
	case err != nil:
		d.plan = reconcile.Plan{Object: rejected(req, "cannot encode the private key: "+err.Error(), now), Write: true, Next: now}
		return
	case sec != nil && s.Secret == nil:
		d.plan.Create = append(d.plan.Create, sec)
		d.plan.Next = now
		return
	case sec != nil:
		d.plan = reconcile.Plan{Object: sec, Write: true, Next: now}
		return
	}
	rev := revision(cert) + 1
	nb, na := leaf.NotBefore, leaf.NotAfter
	rt := renewalTimeOf(cert, leaf)
	cert.Status.Revision = &rev
	cert.Status.NotBefore, cert.Status.NotAfter, cert.Status.RenewalTime = &nb, &na, &rt
	cert.Status.FailedIssuanceAttempts, cert.Status.LastFailureTime = nil, nil
	recordIssuer(cert, req)
	next := rt
	if id, err := acmeproto.CertID(leaf); err == nil && s.ARI != nil {
		// In the revision's write, so every replica and restart knows the
		// leaf is not to be asked about before then.
		if cert.Status.ACME == nil {
			cert.Status.ACME = &ACMEStatus{}
		}
		cert.Status.ACME.ARI = firstARICheck(id, now, rt, JitterKey(cert))
		next = reconcile.Earliest(rt, *cert.Status.ACME.ARI.NextCheck)
	}
	cert.Status.NextPrivateKeySecretName = ""
	cert.Status.Conditions.Remove(meta.ConditionIssuing)
	d.setReady(meta.ConditionTrue, ReasonReady, "Certificate is up to date and has not expired")
	d.plan.Eventf(meta.EventNormal, ReasonIssued,
		fmt.Sprintf("The certificate has been successfully issued (revision %d, expires %s)", rev, na.UTC().Format(time.RFC3339)))
	// The temporary key and the requests beyond the history limit go once
	// this status (the revision bump) is stored: Execute deletes only after
	// the status write succeeded, so a conflict never strands an issued
	// request without its key.
	if k := s.NextKey; k != nil {
		d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: meta.RefOf(k), ResourceVersion: k.ObjectMeta.ResourceVersion})
	}
	// The request of revision rev−limit leaves the history now (deleting
	// one that does not exist is a no-op); older ones were found by load.
	if old := rev - cert.Spec.HistoryLimit(); old > 0 {
		d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: requestRef(cert, old)})
	}
	for _, ref := range s.Stale {
		d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: ref})
	}
	d.plan.Next = next
}

// upToDate records a valid Secret's state, cleans up after the issuance and
// schedules the renewal.
func (d *decision) upToDate(kp *keyPair, req *request.CertificateRequest) {
	cert, s := d.cert, d.s
	if sec := refreshedSecret(cert, s.Secret, kp); sec != nil {
		d.plan = reconcile.Plan{Object: sec, Write: true, Next: s.Now}
		return
	}
	nb, na := kp.leaf.NotBefore, kp.leaf.NotAfter
	rt := renewalTimeOf(cert, kp.leaf)
	cert.Status.NotBefore, cert.Status.NotAfter, cert.Status.RenewalTime = &nb, &na, &rt
	d.setReady(meta.ConditionTrue, ReasonReady, "Certificate is up to date and has not expired")
	cert.Status.Conditions.Remove(meta.ConditionIssuing)
	cert.Status.NextPrivateKeySecretName = ""
	if req != nil && !requestFinal(req) {
		d.deleteRequest(req)
	}
	if k := s.NextKey; k != nil && !slices.ContainsFunc(d.plan.Delete, func(del reconcile.Deletion) bool { return del.Ref == meta.RefOf(k) }) {
		d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: meta.RefOf(k), ResourceVersion: k.ObjectMeta.ResourceVersion})
	}
	for _, ref := range s.Stale {
		d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: ref})
	}
	d.plan.Next = rt
	if s.ARI != nil && ariCheckDue(cert, kp.leaf, s.Now) {
		d.plan.Effect = ariEffect(cert, s.Secret, kp.leaf, s.ARI, s.rnd, s.Now)
	} else if s.ARI != nil {
		if a, _ := ariStatusOf(cert, kp.leaf); a != nil && a.NextCheck != nil {
			d.plan.Next = reconcile.Earliest(rt, *a.NextCheck)
		}
	}
}

// recordFailure counts a failed request once and starts the backoff.
func (d *decision) recordFailure(req *request.CertificateRequest) {
	cert, now := d.cert, d.s.Now
	at := now
	if req.Status.FailureTime != nil {
		at = *req.Status.FailureTime
	}
	n := 1
	if cert.Status.FailedIssuanceAttempts != nil {
		n = *cert.Status.FailedIssuanceAttempts + 1
	}
	cert.Status.FailedIssuanceAttempts = &n
	cert.Status.LastFailureTime = &at
	msg := fmt.Sprintf("The certificate request %q failed: %s", req.ObjectMeta.Name, requestFailure(req))
	cert.Status.Conditions.Set(meta.Condition{Type: meta.ConditionIssuing, Status: meta.ConditionFalse,
		Reason: ReasonFailed, Message: msg, LastTransitionTime: now, ObservedGeneration: cert.ObjectMeta.Generation})
	retry := at.Add(Backoff(n, d.s.Opts.BackoffMin, d.s.Opts.BackoffMax))
	d.plan.Eventf(meta.EventWarning, ReasonFailed,
		fmt.Sprintf("%s; attempt %d, next attempt at %s", msg, n, retry.UTC().Format(time.RFC3339)))
}

func (d *decision) deleteRequest(req *request.CertificateRequest) {
	d.plan.Delete = append(d.plan.Delete, reconcile.Deletion{Ref: meta.RefOf(req), ResourceVersion: req.ObjectMeta.ResourceVersion})
	d.plan.Next = d.s.Now
}

// failureRecorded reports whether req's failure was already counted: every
// failed request carries a failure time, and the certificate remembers the
// latest one it counted.
func failureRecorded(cert *Certificate, req *request.CertificateRequest) bool {
	last := cert.Status.LastFailureTime
	return last != nil && (req.Status.FailureTime == nil || !last.Before(*req.Status.FailureTime))
}

func specChangedSinceFailure(cert *Certificate) bool {
	c := cert.Status.Conditions.Get(meta.ConditionIssuing)
	return c != nil && c.ObservedGeneration < cert.ObjectMeta.Generation
}

// MarkManualRenewal asks for a new issuance now, bypassing any failure
// backoff, as `cmctl renew` does: the reconciler treats an Issuing
// condition with reason ManuallyTriggered as a trigger.
func MarkManualRenewal(cert *Certificate, now time.Time) {
	cert.Status.Conditions.Set(meta.Condition{Type: meta.ConditionIssuing, Status: meta.ConditionTrue,
		Reason: ReasonManuallyTrigger, Message: "Certificate re-issuance manually triggered",
		LastTransitionTime: now, ObservedGeneration: cert.ObjectMeta.Generation})
}

func isManual(cert *Certificate) bool {
	c := cert.Status.Conditions.Get(meta.ConditionIssuing)
	return c != nil && c.Status == meta.ConditionTrue && c.Reason == ReasonManuallyTrigger
}

func created(c *Certificate) time.Time {
	if c.ObjectMeta.CreationTime == nil {
		return time.Time{}
	}
	return *c.ObjectMeta.CreationTime
}
