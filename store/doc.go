// Package store persists certflow objects. A Store is generic: it keeps any
// meta.Object as JSON under its reference, with optimistic concurrency
// (ResourceVersion), a resumable watch of changes and leased locks, and never
// knows the resource packages. The memory store is the reference
// implementation; the file store shares one directory between processes;
// storetest is the conformance suite both pass.
package store
