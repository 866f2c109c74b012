package certflow

import (
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
)

// The story of every resource is told in one place: each event a
// reconciler records is one log line (eventRecorder.record), Info for progress
// and Warn for failures, its message the event's message and its
// attributes those of meta's Log* keys, documented in docs/logging.md.
// This file builds the attributes from the object as it was stored.

// maxAncestors bounds the walk up the owner references (a Challenge's
// Order, CertificateRequest and Certificate).
const maxAncestors = 4

// attrs describes the object an event happened to: its own name under its
// kind's key, the resources above it, and what its kind says about it.
// obj may be nil: then only the names are known.
func (r *eventRecorder) attrs(obj meta.Object, ref meta.Ref, reason meta.Reason) []slog.Attr {
	out := make([]slog.Attr, 0, 12)
	out = append(out, kindAttr(ref))
	var owners []meta.Ref
	if obj != nil {
		owners = obj.GetMeta().OwnerRefs
	} else {
		owners = r.owners.of(ref)
	}
	for i := 0; i < maxAncestors && len(owners) > 0; i++ {
		up := owners[0]
		out = append(out, kindAttr(up))
		owners = r.owners.of(up)
	}
	out = append(out, slog.String(meta.LogReason, string(reason)))
	return append(out, objectAttrs(obj)...)
}

// kindAttr names ref under its kind's key.
func kindAttr(ref meta.Ref) slog.Attr {
	switch ref.Kind {
	case meta.KindCertificate:
		return slog.String(meta.LogCertificate, refValue(ref))
	case meta.KindCertificateRequest:
		return slog.String(meta.LogRequest, refValue(ref))
	case meta.KindOrder:
		return slog.String(meta.LogOrder, refValue(ref))
	case meta.KindChallenge:
		return slog.String(meta.LogChallenge, refValue(ref))
	case meta.KindIssuer, meta.KindClusterIssuer:
		return slog.String(meta.LogIssuer, refValue(ref))
	case meta.KindSecret:
		return slog.String(meta.LogSecret, refValue(ref))
	case meta.KindEvent:
	}
	return slog.String(meta.LogKind, ref.String())
}

// refValue is "namespace/name", or "name" for a cluster-scoped object.
func refValue(ref meta.Ref) string {
	if ref.Namespace == "" {
		return ref.Name
	}
	return ref.Namespace + "/" + ref.Name
}

func issuerAttrs(ref meta.IssuerRef, ns string) []slog.Attr {
	if ref.Name == "" {
		return nil
	}
	r := ref.Resolve(ns)
	return []slog.Attr{slog.String(meta.LogIssuer, refValue(r)), slog.String(meta.LogIssuerKind, string(r.Kind))}
}

func conditionState(conds meta.Conditions) []slog.Attr {
	if c := conds.Get(meta.ConditionReady); c != nil {
		return []slog.Attr{slog.String(meta.LogState, string(meta.ConditionReady)+"="+string(c.Status))}
	}
	return nil
}

func identifiers(dns, ips []string) []slog.Attr {
	if len(dns)+len(ips) == 0 {
		return nil
	}
	return []slog.Attr{slog.String(meta.LogIdentifiers, strings.Join(append(append([]string(nil), dns...), ips...), ","))}
}

func problemAttrs(typ, detail string) []slog.Attr {
	var out []slog.Attr
	if typ != "" {
		out = append(out, slog.String(meta.LogProblemType, typ))
	}
	if detail != "" {
		out = append(out, slog.String(meta.LogProblemDetail, detail))
	}
	return out
}

// objectAttrs is what obj's kind says about it. Key material is never
// among it: only names, states and the CA's problems.
func objectAttrs(obj meta.Object) []slog.Attr {
	var out []slog.Attr
	switch o := obj.(type) {
	case *certificate.Certificate:
		out = append(out, issuerAttrs(o.Spec.IssuerRef, o.ObjectMeta.Namespace)...)
		out = append(out, identifiers(o.Spec.DNSNames, o.Spec.IPAddresses)...)
		out = append(out, slog.String(meta.LogSecret, o.ObjectMeta.Namespace+"/"+o.Spec.SecretName))
		out = append(out, conditionState(o.Status.Conditions)...)
		if c := o.Status.Conditions.Get(meta.ConditionIssuing); c != nil && c.Status == meta.ConditionTrue {
			out = append(out, slog.String(meta.LogTrigger, string(c.Reason)))
		}
		if o.Status.Revision != nil {
			out = append(out, slog.Int(meta.LogRevision, *o.Status.Revision))
		}
		if o.Status.NotAfter != nil {
			out = append(out, slog.String(meta.LogNotAfter, o.Status.NotAfter.UTC().Format(time.RFC3339)))
		}
	case *request.CertificateRequest:
		out = append(out, issuerAttrs(o.Spec.IssuerRef, o.ObjectMeta.Namespace)...)
		out = append(out, conditionState(o.Status.Conditions)...)
		if rev := o.ObjectMeta.Annotations[certificate.AnnotationRevision]; rev != "" {
			if n, err := strconv.Atoi(rev); err == nil {
				out = append(out, slog.Int(meta.LogRevision, n))
			}
		}
	case *order.Order:
		out = append(out, issuerAttrs(o.Spec.IssuerRef, o.ObjectMeta.Namespace)...)
		out = append(out, identifiers(o.Spec.DNSNames, o.Spec.IPAddresses)...)
		out = append(out, slog.String(meta.LogState, string(acmeState(o.Status.State))))
		if p := o.Status.Problem; p != nil {
			out = append(out, problemAttrs(p.Type, p.Detail)...)
		}
	case *challenge.Challenge:
		out = append(out, issuerAttrs(o.Spec.IssuerRef, o.ObjectMeta.Namespace)...)
		out = append(out, slog.String(meta.LogIdentifier, identifierOf(o.Spec.DNSName, o.Spec.Wildcard)),
			slog.String(meta.LogChallengeType, string(o.Spec.Type)),
			slog.String(meta.LogState, string(acmeState(o.Status.State))))
		if p := o.Status.Problem; p != nil {
			out = append(out, problemAttrs(p.Type, p.Detail)...)
		}
	case issuer.Object:
		out = append(out, slog.String(meta.LogIssuerKind, string(o.GetKind())))
		out = append(out, conditionState(o.IssuerStatus().Conditions)...)
	}
	return out
}
