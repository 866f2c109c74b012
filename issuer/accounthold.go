package issuer

import (
	"time"

	"github.com/certflow/certflow/meta"
)

// The account's hold (accountgate.go) lives in this process's memory: a
// restarted Manager, or another replica sharing the Store, would send the
// account's next request before the CA's Retry-After. So the issuer
// reconciler records the hold in the issuer's status (ACMEStatus.HeldUntil)
// as soon as the CA gives it — the gate asks for the issuers of the account
// to be reconciled (Options.Enqueue) — and every process holds an account
// whose issuer's status says so (ACMEClients.Slot and HeldUntil seed the
// gate from it), so their requests wait as this process's do.

// recordHold records in obj's status that its account (the key of hash) is
// held until hold, if that is later than what the status says.
func recordHold(obj Object, hash string, hold, now time.Time) {
	st := obj.IssuerStatus().ACME
	if st == nil || st.LastPrivateKeyHash != hash || !now.Before(hold) {
		return
	}
	if st.HeldUntil == nil || hold.After(*st.HeldUntil) {
		h := hold.UTC()
		st.HeldUntil = &h
	}
}

// persistedHold is until when iss's status says its current account is
// held; zero if it says nothing.
func persistedHold(iss Object) time.Time {
	st := iss.IssuerStatus().ACME
	if st == nil || st.HeldUntil == nil || st.LastPrivateKeyHash == "" {
		return time.Time{}
	}
	return *st.HeldUntil
}

// seed makes g hold iss's account as long as iss's status says.
func (g *accountGate) seed(iss Object) {
	if t := persistedHold(iss); !t.IsZero() {
		g.hold(t)
	}
}

// accountHold returns until when the account of the key of hash at server
// is held — by this process, or, if it is iss's account, by iss's status
// (which then holds it here too); zero if it is not.
func (c *ACMEClients) accountHold(iss Object, server, hash string) time.Time {
	g := c.gate(accountID(server, hash))
	if st := iss.IssuerStatus().ACME; st != nil && st.LastPrivateKeyHash == hash {
		g.seed(iss)
	}
	return g.wait(g.clock.Now())
}

// accountHeld asks for every issuer of the account id to be reconciled,
// so its status records the hold.
func (c *ACMEClients) accountHeld(id string) {
	if c.opts.Enqueue == nil {
		return
	}
	c.mu.Lock()
	var refs []meta.Ref
	for ref, e := range c.byRef {
		if e.account == id {
			refs = append(refs, ref)
		}
	}
	c.mu.Unlock()
	for _, ref := range refs {
		c.opts.Enqueue(ref)
	}
}
