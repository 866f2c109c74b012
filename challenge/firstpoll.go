package challenge

import (
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
)

// caOf names the CA of l's issuer for Options.FirstPolls: its directory
// URL ("" when the issuer cannot be read: no request is made then).
func caOf(l loaded) string {
	if l.issuer == nil {
		return ""
	}
	if a := l.issuer.IssuerSpec().ACME; a != nil {
		return a.Server
	}
	return ""
}

// learned returns the learned first pause of o's CA for its challenge
// type, or nil when Options.PollInterval fixes it.
func (r *Reconciler) learned(o outcome) *acmeproto.FirstPoll {
	if r.opts.FirstPolls == nil || o.ca == "" {
		return nil
	}
	return r.opts.FirstPolls.For(o.ca, string(o.ch.Spec.Type))
}

// firstPause is the first pause of the polling policy after an accept:
// a learned one within MaxPollInterval too (acmeproto.Poll lets a First
// above Max raise Max).
func (r *Reconciler) firstPause(o outcome) time.Duration {
	if fp := r.learned(o); fp != nil {
		return min(fp.Pause(), r.opts.MaxPollInterval)
	}
	return r.opts.PollInterval
}

// learn tells the learned first pause what a look at the authorization
// found (final: it had a verdict), when that look is the first since the
// accept. The accept stored the first pause as NotBefore and polls that
// find nothing new store nothing, so as long as the Challenge is as the
// accept left it (processing, no reason) NotBefore−AcceptedAt is the
// pause scheduled before the first look (acmeproto.FirstPoll.IsFirstLook).
// Each authorization is one sample, however long its CA took.
func (r *Reconciler) learn(o outcome, final bool) {
	if r.learnFetched(o, final) {
		return
	}
	fp, st := r.learned(o), &o.ch.Status
	if fp == nil || st.AcceptedAt == nil || st.NotBefore == nil || st.State != StateProcessing || st.Reason != "" {
		return
	}
	if fp.IsFirstLook(o.now.Sub(*st.AcceptedAt), st.NotBefore.Sub(*st.AcceptedAt)) {
		fp.ObserveAfter(st.NotBefore.Sub(*st.AcceptedAt), final)
	}
}
