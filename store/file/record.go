package file

import (
	"bytes"
	"encoding/json"

	"github.com/certflow/certflow/internal/jsonmember"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// decodeRecord decodes an object file. In the layout the store writes
// (members kind, metadata and object, each once) the file is checked and
// taken apart in one pass (jsonmember.ValidMembers, some twenty times as
// fast as encoding/json's scanner) and kind and metadata are decoded,
// where json.Unmarshal scans it twice;
// a Manager's start lists every object (at 100k certificates, some 1.5
// GB). With listed set, of the metadata only what List looks at is decoded
// (name, namespace, version; labels and owners when want says so), as
// long as it is laid out as encoding/json writes it. Anything else
// (written by hand, or damaged) goes the general way, which names the
// damage.
func decodeRecord(data []byte, r *record, listed *metaWanted) error {
	if decodeStoredLayout(data, r, listed) {
		return nil
	}
	*r = record{}
	return json.Unmarshal(data, r)
}

// metaWanted says which metadata beyond name, namespace and version a
// List needs.
type metaWanted struct{ labels, owners bool }

// wantedBy is the metadata opts.Matches reads beyond the object's
// reference (TestWantedByServesMatches keeps them equal).
func wantedBy(opts store.ListOptions) *metaWanted {
	labels, owners := opts.MetadataRead()
	return &metaWanted{labels: labels, owners: owners}
}

// decodeStoredLayout decodes data laid out as the store writes it and
// reports whether it was.
func decodeStoredLayout(data []byte, r *record, listed *metaWanted) bool {
	kind, metadata, object, ok := storedParts(data)
	if !ok {
		return false
	}
	k, plain := objects.PlainString(kind)
	if !plain {
		return false
	}
	r.Kind = meta.Kind(k)
	if listed == nil || listed.labels || listed.owners || !objects.DecodeListedMeta(metadata, &r.Metadata) {
		r.Metadata = meta.ObjectMeta{}
		if json.Unmarshal(metadata, &r.Metadata) != nil {
			return false
		}
	}
	// A copy, as json.Unmarshal makes: sharing data kept each file's
	// metadata alive with the listed object, and a Manager's start holds
	// every object at once (peak RSS 3.9 to 4.8 GB at 100k certificates).
	r.Object = bytes.Clone(object)
	return true
}

// storedParts returns the members of data, which it checks is valid JSON,
// when it is laid out as the store writes it: kind, metadata and object,
// each once, and nothing else.
func storedParts(data []byte) (kind, metadata, object []byte, ok bool) {
	stored := true
	ok = jsonmember.ValidMembers(data, func(key, value []byte) bool {
		var to *[]byte
		switch string(key) {
		case "kind":
			to = &kind
		case "metadata":
			to = &metadata
		case "object":
			to = &object
		}
		stored = to != nil && *to == nil
		if stored {
			*to = value
		}
		return stored
	})
	return kind, metadata, object, ok && stored && kind != nil && metadata != nil && object != nil
}
