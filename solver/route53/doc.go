// Package route53 solves ACME DNS-01 challenges with AWS Route 53, through
// aws-sdk-go-v2.
//
// Provider builds a Solver from an issuer's solver.Route53Config: region,
// static keys (literal or read through solver.Secrets) or the SDK's default
// credential chain, and an optional role assumed through STS. The hosted
// zone is the configured hostedZoneID or, if empty, the longest public zone
// whose name is a suffix of the record name, found with ListHostedZonesByName.
//
// Present reads the TXT set at the record name and UPSERTs the union of its
// values and the challenge's value; CleanUp UPSERTs what remains without the
// challenge's value, or DELETEs the set when nothing remains. Both then wait
// for Route 53 to report the change INSYNC, polling GetChange until a
// deadline (a *ChangeTimeoutError when it passes). A DELETE that Route 53
// refuses because the set changed since it was read is re-read and decided
// again, a bounded number of times.
//
// Because Route 53 holds one TXT set per name, a read-modify-write of it must
// not interleave with another for the same name (the apex and wildcard
// challenges of one order share _acme-challenge.<name>). Within a process the
// Solver serialises them with a lock per record name, shared by every Solver
// a Provider builds. Across processes sharing a Store, certflow's Manager
// holds a Store lock per TXT name around Present and CleanUp; code that uses
// a Solver outside the Manager from several processes must do the same.
//
// Secret access keys never appear in errors or logs.
package route53
