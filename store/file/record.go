package file

import (
	"bytes"
	"encoding/json"
)

// decodeRecord decodes an object file. The store writes kind, metadata
// and object in that order, the object last: that layout is read by
// decoding kind and metadata alone and checking the object's JSON once,
// which it then shares with data rather than copying. json.Unmarshal
// would scan the object twice and copy it, and a Manager's start lists
// every object (at 100k certificates, some 2 GB). Anything else (written
// by hand, or damaged) goes the general way, which names the damage.
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
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for _, member := range []struct {
		key string
		to  any
	}{{"kind", &r.Kind}, {"metadata", &r.Metadata}} {
		if t, err := dec.Token(); err != nil || t != member.key {
			return false
		}
		if dec.Decode(member.to) != nil {
			return false
		}
	}
	if t, err := dec.Token(); err != nil || t != "object" {
		return false
	}
	// What is left is `: <object> }`.
	rest := trimSpace(data[dec.InputOffset():])
	rest, ok := bytes.CutPrefix(rest, []byte(":"))
	if !ok {
		return false
	}
	rest, ok = bytes.CutSuffix(rest, []byte("}"))
	if !ok {
		return false
	}
	object := trimSpace(rest)
	if !json.Valid(object) {
		return false // not one value: more members follow, or it is damaged
	}
	r.Object = object[:len(object):len(object)] // an append must not write into data
	return true
}

// trimSpace trims what JSON counts as white space (bytes.TrimSpace trims
// more).
func trimSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
