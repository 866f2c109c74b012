package certificate

import (
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// atRest reports whether c needs no visit until its renewal: Ready for its
// spec, no issuance under way.
func atRest(c *Certificate) bool {
	ready := c.Status.Conditions.Get(meta.ConditionReady)
	return ready != nil && ready.Status == meta.ConditionTrue && ready.ObservedGeneration == c.ObjectMeta.Generation &&
		c.Status.NextPrivateKeySecretName == "" && !c.Status.Conditions.IsTrue(meta.ConditionIssuing)
}

// rest drops what the memos hold for the objects of s, whose Certificate a
// decision just found at rest: its next visit is its renewal, weeks away,
// and the memos are there for the issuances in flight. Kept, a finished
// issuance's parsed key, key encodings, CSR and chain stayed until as many
// others pushed them out, so a burst of issuances held the memos full of
// them (~1,400 bytes a certificate at its peak, docs/memory.md) and the
// heap grew to that peak for good.
func (r *Reconciler) rest(s *Snapshot) {
	if r.parse == nil || !atRest(s.Cert) {
		return
	}
	p, c := r.parse, s.Cert
	ns := c.ObjectMeta.Namespace
	// By name, not by the snapshot's objects: the next key is gone from
	// the snapshot of the decision that deleted it.
	for _, name := range []string{c.Spec.SecretName, nextKeyName(c)} {
		if key, ok := p.keys.forget(meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: name}); ok {
			p.pems.forget(key)
		}
	}
	if s.Secret != nil {
		p.chains.Forget(s.Secret.Data[secret.TLSCertKey])
	}
	for _, rev := range []int{revision(c), revision(c) + 1} {
		p.csrs.forget(requestRef(c, rev))
	}
	for _, req := range []*request.CertificateRequest{s.CurrentRequest, s.NextRequest} {
		if req != nil {
			r.opts.CSRs.Forget(req.Spec.Request)
			p.chains.Forget(req.Status.Certificate)
		}
	}
}
