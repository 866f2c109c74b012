package metrics

import (
	"strings"
	"unicode/utf8"
)

// maxReasonLabel bounds the reason label of
// certmanager_certificate_challenge_status. The reason of a failed
// challenge carries the CA's problem detail, which the CA may make as long
// as it likes; each Challenge emits it in eight series at every scrape.
// cert-manager's reasons are a sentence or two.
const maxReasonLabel = 1024

// reasonLabel returns reason cut to maxReasonLabel bytes, on a character
// boundary, marked as cut by a trailing "…".
func reasonLabel(reason string) string {
	if len(reason) <= maxReasonLabel {
		return reason
	}
	cut := maxReasonLabel - len("…")
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return strings.ToValidUTF8(reason[:cut], "") + "…"
}
