package objects

import (
	"bytes"
	"unicode/utf8"

	"github.com/certflow/certflow/internal/jsonmember"
	"github.com/certflow/certflow/meta"
)

// DecodeListedMeta decodes of the metadata JSON data (checked valid by the
// caller) what an unfiltered List looks at, name, namespace and
// resourceVersion, into m, and reports false, deciding nothing, when a
// member it needs is not written as encoding/json writes it (or a key may
// be one encoding/json would take for it). A Manager's start lists every
// object, and decoding each one's whole metadata (annotations, owners,
// times) was a good part of that. Lists filtered by labels or owners
// decode it all.
func DecodeListedMeta(data []byte, m *meta.ObjectMeta) bool {
	plain := true
	ok := jsonmember.Each(data, func(key, value []byte) bool {
		var to *string
		switch string(key) {
		case "name":
			to = &m.Name
		case "namespace":
			to = &m.Namespace
		case "resourceVersion":
			to = &m.ResourceVersion
		default:
			plain = !bytes.ContainsRune(key, '\\') && !bytes.EqualFold(key, []byte("name")) &&
				!bytes.EqualFold(key, []byte("namespace")) && !bytes.EqualFold(key, []byte("resourceVersion"))
			return plain
		}
		*to, plain = PlainString(value)
		return plain
	})
	return ok && plain
}

// PlainString returns the JSON string v holds when it has no escapes and
// is valid UTF-8.
func PlainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v, '\\') >= 0 || !utf8.Valid(v) {
		return "", false // encoding/json would unescape, or replace invalid UTF-8
	}
	return string(v[1 : len(v)-1]), true
}
