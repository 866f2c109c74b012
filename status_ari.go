package certflow

import (
	"time"

	"github.com/certflow/certflow/certificate"
)

// addRenewalInfo shows what the ACME CA said about renewing the
// certificate (RFC 9773): its window, why, the time drawn in it, and when
// it is asked again.
func (n *StatusNode) addRenewalInfo(st *certificate.ACMEStatus) {
	if st == nil || st.ARI == nil {
		return
	}
	a := st.ARI
	if w := a.SuggestedWindow; w != nil {
		n.add("Renewal Window", w.Start.UTC().Format(time.RFC3339)+" to "+w.End.UTC().Format(time.RFC3339))
	}
	n.add("Renewal Explanation", a.ExplanationURL)
	n.addTime("Renewal Time Selected", a.SelectedTime)
	n.addTime("Next Renewal Info Check", a.NextCheck)
	n.add("Renewal Info Error", a.LastError)
}
