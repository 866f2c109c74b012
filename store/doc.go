// Package store persists certflow objects. A Store is generic: it keeps any
// meta.Object as JSON under its reference, with optimistic concurrency
// (ResourceVersion), a resumable watch of changes and leased locks, and never
// knows the resource packages. The memory store is the reference
// implementation; the file store shares one directory between processes;
// storetest is the conformance suite both pass.
//
// Revisions: every change (create, update, delete) advances one store-wide
// revision counter, and an object's ResourceVersion is the revision of its
// last change written in decimal (an etcd store uses the key's
// mod_revision). Callers that only compare for equality (Update, a
// conditional Delete) treat it as opaque; callers that order reads of one
// object (the serving cache) parse it, and compare it with the Revision of a
// WatchEvent or a ListResult: a deletion at revision R is newer than every
// version of the object it removed and older than a re-creation.
package store
