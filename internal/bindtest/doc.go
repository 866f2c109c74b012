// Package bindtest starts a real BIND 9 `named` for one test, in a fresh
// temporary directory on a free loopback port, with a TSIG key allowed to
// update TXT records (RFC 2136), and stops it when the test ends. It also
// runs small in-process authoritative servers (Stub) for tests that need a
// second nameserver which never receives updates.
//
// When named is not installed the test is skipped, except under CI=true,
// where it fails: CI must install bind9 (see Start).
package bindtest
