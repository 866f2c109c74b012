package meta

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/certflow/certflow/internal/jsonmember"
)

// errNoMetadata is returned by ObjectMetaOf for an object without one.
var errNoMetadata = errors.New("meta: not a JSON object with a metadata member")

// ObjectMetaOf decodes the "metadata" member of the JSON object data,
// decoding nothing else. A Manager starting on a Store of 100k
// certificates wants the owners and labels of some 700k objects, and what
// follows the metadata (a Secret's key and certificate chain) is most of
// each: decoding whole objects for their metadata was most of that start's
// work. The other members are only delimited, not checked: decoding the
// whole object does that. A member written with escapes or in other
// letter case, or named twice, is read as json.Unmarshal would read it.
func ObjectMetaOf(data []byte) (ObjectMeta, error) {
	var m ObjectMeta
	found, plain, ok := metadataMember(data)
	switch {
	case !plain:
		var v struct {
			Metadata ObjectMeta `json:"metadata"`
		}
		err := json.Unmarshal(data, &v)
		return v.Metadata, err
	case !ok || found == nil:
		return m, errNoMetadata
	}
	err := json.Unmarshal(found, &m)
	return m, err
}

// metadataMember finds the "metadata" member of the JSON object data
// (found is nil when there is none; ok is false when data is not an
// object); plain is false when a member written with escapes or in
// other letter case may name it, which only encoding/json can tell.
//
// The members after it are looked at too: encoding/json decodes a member
// named twice into the same struct, the later over the earlier, and the
// first alone is not what the Store's Get reads (another owner, or
// corrupt, where the start-up sweep judged the first's owner gone). They
// are only delimited (the bytes of a Secret's key and chain eight at a
// time); damage after the metadata is still not reported here (decoding
// the whole object reports it).
func metadataMember(data []byte) (found []byte, plain, ok bool) {
	plain = true
	ok = jsonmember.Each(data, func(key, value []byte) bool {
		switch string(key) {
		case "metadata":
			plain = found == nil
			found = value
			return plain
		case "kind", "apiVersion":
			return true
		}
		// An escaped or differently cased key may name the member too.
		plain = !bytes.EqualFold(key, []byte("metadata")) && !bytes.ContainsRune(key, '\\')
		return plain
	})
	return found, plain, ok || found != nil
}
