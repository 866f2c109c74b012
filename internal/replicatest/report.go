package replicatest

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/certflow/certflow/meta"
)

// ReportType says what a Report is about.
type ReportType string

// Report types.
const (
	// ReportListening gives the replica's HTTP and TLS ports; it is the
	// first report, sent once the Manager runs.
	ReportListening ReportType = "listening"
	// ReportEffect is a step of an effect (see Phase).
	ReportEffect ReportType = "effect"
	// ReportACME is one POST the replica is sending to the ACME server.
	ReportACME ReportType = "acme"
	// ReportAck acknowledges the parent's command Seq once it is in
	// effect (Control); Err says why it is not.
	ReportAck ReportType = "ack"
	// ReportClaimHeld: the claim named Claim waits, held by the replica's
	// Control, until the parent opens the claims.
	ReportClaimHeld ReportType = "claimHeld"
	// ReportWatchHeld: a change of Ref (Change: Added, Modified or
	// Deleted) reached the replica's watch while the parent held it, and
	// waits for the release.
	ReportWatchHeld ReportType = "watchHeld"
)

// Phase is where an effect is.
type Phase string

// Effect phases, in the order one effect goes through them. A claimed
// effect whose claim another replica holds goes from PhaseDecided straight
// to PhaseDone: only PhaseDo says the step really started.
const (
	// PhaseDecided: a reconciler decided on the effect; its claim (if any)
	// is not taken yet.
	PhaseDecided Phase = "decided"
	// PhaseDo: the claim is held and the step starts.
	PhaseDo Phase = "do"
	// PhaseDid: the step returned (Err says how); its outcome is not stored yet.
	PhaseDid Phase = "did"
	// PhaseDone: the whole plan was executed (Err says how).
	PhaseDone Phase = "done"
)

// Report is one line a replica writes to its stdout.
type Report struct {
	Type ReportType `json:"type"`

	// ReportListening.
	HTTPPort int `json:"httpPort,omitempty"`
	TLSPort  int `json:"tlsPort,omitempty"`

	// ReportEffect: the object, the step (the Effect's Name) and the phase.
	Ref   meta.Ref `json:"ref,omitzero"`
	Step  string   `json:"step,omitempty"`
	Phase Phase    `json:"phase,omitempty"`
	Err   string   `json:"err,omitempty"`
	// Ran, on PhaseDone, says the step itself ran here (its claim was
	// free); with no Err its outcome is stored.
	Ran bool `json:"ran,omitempty"`
	// OwnerGone, on PhaseDone, says Err is the step refused for a gone
	// owner (reconcile.ErrOwnerGone), so the parent need not match Err's
	// wording.
	OwnerGone bool `json:"ownerGone,omitempty"`
	// Challenge is set on effects of Challenges.
	Challenge *ChallengeInfo `json:"challenge,omitempty"`

	// ReportACME: the request path and whether it carried a payload (a
	// POST-as-GET read has none).
	Path    string `json:"path,omitempty"`
	Payload bool   `json:"payload,omitempty"`

	// ReportAck: the command acknowledged (Err, above, if it failed).
	Seq int64 `json:"seq,omitempty"`
	// ReportClaimHeld: the claim's name.
	Claim string `json:"claim,omitempty"`
	// ReportWatchHeld: the kind of change (Ref, above, names the object).
	Change string `json:"change,omitempty"`
}

// ChallengeInfo identifies the challenge of an effect.
type ChallengeInfo struct {
	Type    string `json:"type"`
	DNSName string `json:"dnsName"`
	Token   string `json:"token"`
}

// Event is a Report as the parent received it.
type Event struct {
	Replica int
	At      time.Time
	Report
}

// reporter writes Reports as JSON lines; safe for concurrent use.
type reporter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newReporter(w io.Writer) *reporter { return &reporter{enc: json.NewEncoder(w)} }

func (r *reporter) send(rep Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.enc.Encode(rep) // the parent gone, nobody is left to tell
}
