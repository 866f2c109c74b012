// Package replicatest runs Managers as separate processes sharing one
// Store, the way replicas of a service run, and watches what each of them
// does: the test harness behind the replica tests of e2e (file store) and
// store/etcd (etcd), and behind examples/cluster.
//
// A program that hosts replicas calls Child first thing in main or
// TestMain; in a process started by a Cluster it runs one replica and
// exits, anywhere else it returns at once. The replica opens its Store
// with the Opener it is given, so the harness knows nothing of any Store
// implementation: a ChildConfig carries the Store's settings as opaque JSON.
//
// The parent side is a Cluster (start, stop, SIGKILL replicas; every
// replica's reports), a Front (the one address the CA validates HTTP-01 and
// TLS-ALPN-01 at, which sends each validation to a replica other than the
// one that presented the challenge, and a DNS provider API that presents
// DNS-01 records in acmetest's DNS and counts every call), the CA's
// per-identifier ledger, TLS handshakes against each replica, and a TCP
// proxy that can be cut to partition one replica from its Store.
//
// Replicas report over their stdout as JSON lines (Report): the effects
// they take, with the moment the claimed step starts, and every ACME
// request they send, so a test can tell which replica did what.
//
// A replica started with a Control takes commands over its stdin, one JSON
// line each, acknowledged over its stdout once in effect: the parent can
// hold its watch (Cluster.HoldWatch, ReleaseWatch) and the claims the
// Control names (Cluster.OpenClaims, AwaitClaimHeld), to give one replica a
// stale view of the Store while another changes it, with no sleeps.
package replicatest
