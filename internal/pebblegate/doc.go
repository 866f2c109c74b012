// Package pebblegate decides which requests may be inside Pebble v2.10.3's
// ACME handlers at once. Pebble deadlocks when its handlers run freely in
// parallel, and one request at a time is slower than a CA needs to be:
// from Pebble's source, every cycle of locks passes through an
// authorization's lock, which only two groups of handlers hold or wait for
// while holding another (ClassAuthz, ClassOrders). A Gate keeps those two
// groups apart, lets a group's requests run together and lets every other
// request (ClassFree) through.
//
// acmetest's front (handlers called in-process) and the e2e benchmark
// harness (a Pebble process behind an http.RoundTripper) share it; each
// leaves the Gate when Pebble's handler has returned, so that no lock it
// took is still held.
package pebblegate
