package pebblegate

import "strings"

// Class is what a Pebble v2.10.3 handler may hold while it waits for a
// lock (see Paths).
type Class uint8

const (
	// ClassFree handlers never wait for a lock while they hold one:
	// nonce, directory, account, certificate, revocation, key change,
	// renewal info, and every path Pebble does not serve.
	ClassFree Class = iota
	// ClassAuthz handlers hold an authorization's lock while they wait
	// for its order's or the store's: Authz (POST-as-GET and
	// deactivation) and a challenge's (accept and poll).
	ClassAuthz
	// ClassOrders handlers hold the store's or an order's lock while they
	// wait for an authorization's: NewOrder, Order, FinalizeOrder,
	// ListOrders.
	ClassOrders
)

func (c Class) String() string {
	switch c {
	case ClassAuthz:
		return "authz"
	case ClassOrders:
		return "orders"
	default:
		return "free"
	}
}

// other is the class c must not run beside.
func (c Class) other() Class { return ClassAuthz + ClassOrders - c }

// Path is one pattern of Pebble's ACME handler and its class.
type Path struct {
	// Pattern is as http.ServeMux reads it: a trailing slash matches the
	// subtree, else only the path itself.
	Pattern string
	Class   Class
}

// Paths returns the paths Pebble v2.10.3's wfe.Handler() serves
// (wfe.go:524–548), each with its class. Every lock below is read from
// v2.10.3's source (S is the MemoryStore's RWMutex, O an Order's, A an
// Authorization's, C a Challenge's). A handler that holds one lock while
// it waits for another ("X → Y"):
//
//	Authz            A.W → O.R (wfe.go:2366–2368), A.W → S.R (getAcctByKey
//	                 :2375 or validPOSTAsGET :2409, memorystore.go:96),
//	                 A.W → C.R (:2426, prepAuthorizationForDisplay :2325)
//	challenge accept A.R → O.R (updateChallenge wfe.go:2633–2634)
//	NewOrder         S.R → A.R of every authorization (makeAuthorizations
//	                 wfe.go:1563, FindValidAuthorization memorystore.go:315–321)
//	Order, Finalize  S.R → O.R → A.R and S.R → O.W (GetOrderByID
//	                 memorystore.go:238–247 via types.go:38–50; wfe.go:2064, :2121)
//	ListOrders       S.R → O.W (kept) → O'.R → A.R (memorystore.go:269–279)
//
// NewOrder's other nested locks are on its own order, authorizations and
// challenges, which nobody else can name yet. Pebble's own goroutines:
// the VA A.W → C.W (va.go:206–216, :246–253); the finalize goroutine one
// lock at a time (ca.go:437–482, AddCertificate memorystore.go:358). The
// other handlers (challenge POST-as-GET, nonce, account, certificate,
// revocation, key change, renewal info) and the management handler's
// take one lock at a time.
//
// So the only edges out of A are ClassAuthz's and the only edges into A
// ClassOrders'; S and O have only S → O and O → O' between them, and no
// handler waits for a lock while it holds a C: every cycle of
// "holds, waits for" passes through A, so a deadlock needs a handler of
// each class in Pebble at once. A pending writer (Go's RWMutex makes new
// readers wait behind it) relays a wait but closes no cycle alone: it
// holds nothing (finalize's S.W and O.W, a new account's S.W, Order's
// O.W) or holds A only to wait for C, which no waiter holds (the VA).
// Cycles: Authz (A.W, wants S.R) + a certificate being stored (S.W
// pending) + NewOrder or an Order poll (S.R, wants A.R); Authz (A.W,
// wants O.R) + two Order polls of its order (one holding O.R and wanting
// A.R, one waiting for O.W); an accept (A.R, wants O.R) + an Order poll
// (O.R, wants A.R) + a pending O.W and a pending A.W.
//
// Not covered, as one request at a time did not cover them: an accept of
// a challenge whose authorization is no longer pending waits for ever for
// a read lock prepAuthorizationForDisplay leaked (wfe.go:2325–2330; the
// caller must keep such accepts out, as acmetest does); an order with
// "replaces" whose validation fails holds O.W while it waits for S.R
// (va.go:224–231), which closes S → O → S with a pending S.W and no
// second request.
func Paths() []Path { return append([]Path(nil), paths[:]...) }

var paths = [...]Path{
	{"/dir", ClassFree},
	{"/nonce-plz", ClassFree},
	{"/sign-me-up", ClassFree},
	{"/my-account/", ClassFree},
	{"/order-plz", ClassOrders},
	{"/my-order/", ClassOrders},
	{"/finalize-order/", ClassOrders},
	{"/authZ/", ClassAuthz},
	{"/chalZ/", ClassAuthz},
	{"/certZ/", ClassFree},
	{"/revoke-cert", ClassFree},
	{"/rollover-account-key", ClassFree},
	{"/list-orderz/", ClassOrders},
	{"/draft-ietf-acme-ari-03/renewalInfo/", ClassFree},
}

// ClassOf returns the class of a request to path, matched as
// http.ServeMux matches Pebble's patterns. A path Pebble does not serve is
// free: Pebble answers it 404 without a lock.
func ClassOf(path string) Class {
	for _, p := range paths {
		if path == p.Pattern || strings.HasSuffix(p.Pattern, "/") && strings.HasPrefix(path, p.Pattern) {
			return p.Class
		}
	}
	return ClassFree
}
