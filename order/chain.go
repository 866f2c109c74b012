package order

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
)

// chooseChain returns the first chain, the default one first, whose top
// certificate was issued by a CA with the preferred common name; else the
// default chain. A failure to read an alternate falls back to the default
// with a warning event: the default chain is valid too.
func (r *Reconciler) chooseChain(ctx context.Context, v *visit, def [][]byte, certURL string) [][]byte {
	preferred := v.preferred
	if preferred == "" || topIssuerCN(def) == preferred {
		return def
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	alts, err := v.cl.ListCertAlternates(acmeproto.WithAction(actx, acmeproto.ActionListCertAlternates), certURL)
	if err != nil {
		v.event(meta.EventWarning, ReasonComplete, fmt.Sprintf("preferred chain %q: listing alternates: %v; using the default chain", preferred, err))
		return def
	}
	for _, u := range alts {
		alt, err := v.cl.FetchCert(acmeproto.WithAction(actx, acmeproto.ActionFetchCert), u, true)
		if err != nil {
			v.event(meta.EventWarning, ReasonComplete, fmt.Sprintf("preferred chain %q: fetching %s: %v", preferred, u, err))
			continue
		}
		if topIssuerCN(alt) == preferred {
			return alt
		}
	}
	return def
}

// topIssuerCN is the issuer common name of the last certificate of a chain.
func topIssuerCN(der [][]byte) string {
	if len(der) == 0 {
		return ""
	}
	certs, err := pki.ParseChain(pki.EncodeDER(der[len(der)-1]))
	if err != nil {
		return ""
	}
	return certs[0].Issuer.CommonName
}
