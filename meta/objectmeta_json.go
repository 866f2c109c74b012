package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// errNoMetadata is returned by ObjectMetaOf for an object without one.
var errNoMetadata = errors.New("meta: the object has no metadata member")

// ObjectMetaOf decodes the "metadata" member of the JSON object data,
// reading data only as far as that member's end. A Manager starting on a
// Store of 100k certificates wants the owners and labels of some 700k
// objects, and what follows the metadata (a Secret's key and certificate
// chain) is most of each: decoding whole objects for their metadata was
// most of that start's work. It does not check what follows the metadata;
// decoding the whole object does.
func ObjectMetaOf(data []byte) (ObjectMeta, error) {
	var m ObjectMeta
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return m, fmt.Errorf("meta: not a JSON object: %w", errors.Join(err, errNoMetadata))
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return m, err
		}
		if key, _ := t.(string); key == "metadata" {
			err := dec.Decode(&m)
			return m, err
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return m, err
		}
	}
	return m, errNoMetadata
}
