package replicatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// effectReporter reports every effect a reconciler decides on, when its
// step really starts and ends (the claim held), and how its plan ended.
func effectReporter(rep *reporter) reconcile.Observer {
	return func(_ meta.Kind, _ any, p *reconcile.Plan) func(time.Time, error) {
		if p.Effect == nil {
			return nil
		}
		base := Report{Type: ReportEffect, Ref: meta.RefOf(p.Object), Step: p.Effect.Name}
		if ch, ok := p.Object.(*challenge.Challenge); ok {
			base.Challenge = &ChallengeInfo{Type: string(ch.Spec.Type), DNSName: ch.Spec.DNSName, Token: ch.Spec.Token}
		}
		ran := false // set by Do, read after Execute returned
		phase := func(ph Phase, err error) {
			r := base
			r.Phase = ph
			r.Ran = ph == PhaseDone && ran
			if err != nil {
				r.Err = err.Error()
				r.OwnerGone = ph == PhaseDone && errors.Is(err, reconcile.ErrOwnerGone)
			}
			rep.send(r)
		}
		phase(PhaseDecided, nil)
		if do := p.Effect.Do; do != nil {
			// Do runs only with the claim held, so its start is the moment
			// the step is this replica's.
			p.Effect.Do = func(ctx context.Context) error {
				ran = true
				phase(PhaseDo, nil)
				err := do(ctx)
				phase(PhaseDid, err)
				return err
			}
		}
		return func(_ time.Time, err error) { phase(PhaseDone, err) }
	}
}

// acmeReporter reports every POST to the ACME server as it is sent (a
// replica killed or cut off while waiting for the answer has still sent
// it), with whether it carried a payload.
type acmeReporter struct {
	next http.RoundTripper
	rep  *reporter
}

func (a *acmeReporter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost {
		return a.next.RoundTrip(r)
	}
	rep := Report{Type: ReportACME, Path: r.URL.Path}
	if r.Body != nil && r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			raw, _ := io.ReadAll(body)
			_ = body.Close()
			rep.Payload = hasPayload(raw)
		}
	}
	a.rep.send(rep)
	return a.next.RoundTrip(r)
}

// hasPayload tells a JWS that asks for something from a POST-as-GET,
// whose payload is empty (RFC 8555 §6.3).
func hasPayload(jws []byte) bool {
	var v struct {
		Payload *string `json:"payload"`
	}
	if json.Unmarshal(bytes.TrimSpace(jws), &v) != nil || v.Payload == nil {
		return false
	}
	return *v.Payload != ""
}
