// Package etcd is a store.Store kept in etcd, for Managers on several
// machines that share one store. It passes the store conformance suite
// (store/storetest) against a real etcd; etcdtest runs one in-process.
//
//	st, err := etcd.Open(etcd.Config{
//		Endpoints: []string{"https://etcd-0:2379", "https://etcd-1:2379", "https://etcd-2:2379"},
//		CAFile:    "/etc/etcd/ca.crt",
//		Username:  "certflow", Password: os.Getenv("ETCD_PASSWORD"),
//	})
//	if err != nil { … }
//	defer st.Close()
//	m, err := certflow.New(certflow.Config{Store: st})
//
// This package is its own Go module, so that programs that do not use it
// build neither etcd's client nor gRPC.
//
// # Keys and values
//
// Everything lives under Config.Prefix (default "/certflow/"):
//
//	<prefix>objects/<kind>/<namespace>/<name>   one object
//	<prefix>objects/<kind>//<name>              one cluster-scoped object
//	<prefix>locks/<name>                        one held lock
//
// Components never contain '/' and namespaced kinds always have a
// namespace, so every key names one object. Keys of one kind and namespace
// are in List's order; List sorts what it reads all the same ('/' sorts after
// '-' and '.', so namespace "a-b" precedes "a" in key order).
//
// An object's value is a header line, its metadata as JSON and the object as
// JSON: "certflow1 <metadata length> <offset>\n<metadata><object>". The
// metadata lets List filter by labels and owners, and Watch report them,
// without knowing Go types. A lock's value is {"owner","ttl","expires"}.
//
// # Revisions
//
// The store revision is etcd's revision and an object's ResourceVersion is
// its key's mod_revision: it is not stored in the value (it is unknown until
// the write commits) but set on every read. Create is a transaction that
// puts the key only if it was never created; Update and a conditional Delete
// compare the key's mod_revision with the ResourceVersion. List reads in
// pages of Config.PageSize, every page at the revision of the first, so the
// result is one consistent snapshot and its Revision is where a Watch
// resumes. Watch is an etcd watch of the objects' prefix from that revision
// (with each key's previous value, so a Deleted event carries the metadata
// the object had); a compacted revision ends it with store.ErrCompacted.
//
// # Locks
//
// Every lock key a Store writes is bound to one etcd lease of its own, the
// session lease (TTL Config.SessionTTL, default 5 s), which the client keeps
// alive while the Store is open. A lock's own expiry (the TTL given to
// Acquire) is written in its value with the owner. Acquire is a transaction:
// create the key if absent, or take it over (compare-and-swap on its
// mod_revision) if its owner is the caller or its expiry has passed. Renew
// and Release compare-and-swap the same way and check the owner.
//
// So a lock ends at its expiry, or when its process dies: the keepalives
// stop, etcd expires the session lease within SessionTTL and deletes every
// lock bound to it. Close revokes the lease at once. A Store that loses its
// session (no keepalive answer for three quarters of the TTL, or etcd
// reports the lease gone) treats every lock it held as lost: Renew and
// Release return store.ErrLeaseLost, and the next Acquire opens a new
// session.
//
// Clocks: a lock's expiry is the holder's wall clock (the Store's Clock)
// plus the TTL, compared by a contender against its own clock. Clock skew
// between machines moves a takeover by the skew: keep them synchronised
// (NTP keeps skew to milliseconds; certflow's claims last minutes). A dead
// holder's locks do not depend on clocks: etcd deletes them with its lease.
//
// # Failures
//
// Every request is bounded by its context and by Config.RequestTimeout, so
// an unreachable etcd fails an operation with an error wrapping
// ErrUnavailable instead of blocking it. Refused credentials wrap ErrAuth;
// a value that does not decode is a *store.CorruptError naming its key.
// Passwords and keys never appear in errors or logs. A watch survives etcd
// restarts and reconnections, and ends with an error event, never silently,
// when it cannot go on.
package etcd
