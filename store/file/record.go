package file

import (
	"bytes"
	"encoding/json"

	"github.com/certflow/certflow/internal/jsonmember"
)

// decodeRecord decodes an object file. In the layout the store writes
// (members kind, metadata and object, each once) kind and metadata are
// decoded and the object's JSON is checked once, where json.Unmarshal
// scans it twice; a Manager's start lists every object (at 100k
// certificates, some 1.4 GB). Anything else (written by hand, or damaged)
// goes the general way, which names the damage.
func decodeRecord(data []byte, r *record) error {
	if decodeStoredLayout(data, r) {
		return nil
	}
	*r = record{}
	return json.Unmarshal(data, r)
}

// decodeStoredLayout decodes data laid out as the store writes it and
// reports whether it was.
func decodeStoredLayout(data []byte, r *record) bool {
	var kind, metadata, object []byte
	stored := true
	ok := jsonmember.Each(data, func(key, value []byte) bool {
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
	if !ok || !stored || kind == nil || metadata == nil || object == nil {
		return false
	}
	if json.Unmarshal(kind, &r.Kind) != nil || json.Unmarshal(metadata, &r.Metadata) != nil || !json.Valid(object) {
		return false
	}
	// A copy, as json.Unmarshal makes: sharing data kept each file's
	// metadata alive with the listed object, and a Manager's start holds
	// every object at once (peak RSS 3.9 to 4.8 GB at 100k certificates).
	r.Object = bytes.Clone(object)
	return true
}
