// Package storecount wraps a store.Store and counts the calls made through
// it, by operation, so a test or a measurement program can tell what a
// Manager asked of its Store over a span of time (nothing, while nothing
// is due; no writes, on a restart with nothing to do).
package storecount
