// Package objects holds what every Store implementation does the same way:
// validating references, preparing an object's metadata for Create and Update,
// deep-copying metadata so no caller aliases stored state, decoding into a
// caller's object, and the List sort order. It lives under store/internal so
// that later implementations (etcd) share the exact same rules.
package objects
