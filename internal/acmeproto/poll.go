package acmeproto

import "time"

// Defaults of the polling policy.
const (
	// DefaultFirstPoll is the first pause before looking again at an order
	// or authorization that has not moved on: CAs that validate or issue
	// at once (a local CA, Pebble, Boulder's usual path) answer within a
	// few milliseconds, and the pauses double from there.
	DefaultFirstPoll = 5 * time.Millisecond
	// DefaultMaxPoll bounds the pause: a CA that takes longer (a DNS-01
	// validation, a busy CA) is still looked at every few seconds.
	DefaultMaxPoll = 4 * time.Second
)

// Poll is certflow's one polling policy for an ACME resource that has not
// moved on (an authorization being validated, an order being issued): the
// CA's Retry-After when it sent one, else a short pause that doubles with
// each look, up to Max. Doubling keeps both costs bounded: the answer is
// seen at most about as late again as it came, and a validation that takes
// t costs about log2(t/First) looks instead of t/interval. There is no fixed
// quantum: a CA that answers in 3 ms is seen after 5.
type Poll struct {
	// First is the first pause. If 0, DefaultFirstPoll.
	First time.Duration
	// Max bounds the pause (not the CA's Retry-After). If 0, DefaultMaxPoll;
	// never less than First.
	Max time.Duration
}

func (p Poll) bounds() (first, limit time.Duration) {
	first, limit = p.First, p.Max
	if first <= 0 {
		first = DefaultFirstPoll
	}
	if limit <= 0 {
		limit = DefaultMaxPoll
	}
	return first, max(first, limit)
}

// Pause returns the pause before the n-th consecutive look (n from 1) at a
// resource that had not moved on: First·2^(n−1), at most Max; or the CA's
// Retry-After when it sent one (retryAfter > 0), which wins either way.
func (p Poll) Pause(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	first, limit := p.bounds()
	d := first
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// PauseSince returns the pause before the next look at a resource that
// started moving (an accept, a finalize) elapsed ago, for callers that keep
// no count of their looks: as long again as it has been, between First and
// Max, so the looks double as with Pause; or the CA's Retry-After when it
// sent one (retryAfter > 0).
func (p Poll) PauseSince(elapsed, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	first, limit := p.bounds()
	return min(max(elapsed, first), limit)
}

// PollOptions fills the polling options the Order and Challenge reconcilers
// share: a fixed first pause (first > 0) turns the learner off, so the
// pause stays what was asked; otherwise the first pause is learned (from
// *polls if set, else a learner of the reconciler's own). Unset pauses
// take the defaults, and most is never below first.
func PollOptions(polls **FirstPolls, first, most *time.Duration) {
	switch {
	case *first > 0:
		*polls = nil
	case *polls == nil:
		*polls = &FirstPolls{}
	}
	if *first <= 0 {
		*first = DefaultFirstPoll
	}
	if *most <= 0 {
		*most = DefaultMaxPoll
	}
	*most = max(*most, *first)
}
