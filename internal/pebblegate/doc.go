// Package pebblegate decides which requests may be inside Pebble v2.10.3's
// ACME handlers at once. Pebble deadlocks when its handlers run freely in
// parallel, and one request at a time is slower than a CA needs to be:
// from Pebble's source, every cycle of locks passes through an
// authorization's lock, which only two groups of handlers hold or wait for
// while holding another (ClassAuthz, ClassOrders). A Gate keeps those two
// groups apart, lets a group's requests run together and lets every other
// request (ClassFree) through.
//
// The e2e benchmark harness lets requests into a Pebble process through a
// Gate, and leaves it when the answer's head has come (Pebble has returned
// by then). acmetest's front, which runs Pebble's handlers in the test's
// process, still lets one in at a time: Pebble's handlers also race with
// each other on memory, which the race detector reports in the tests of
// acmetest's users (see acmetest/handler.go).
package pebblegate
