package certflow

import (
	"bytes"
	"encoding/base64"

	"github.com/certflow/certflow/internal/jsonmember"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// servingSecret decodes of the listed Secret raw only what serving reads:
// its certificate and key, and its name and version from the listing. A
// Manager starting on 100k certificates decodes every Secret before it
// serves, and json.Unmarshal of the whole object (metadata, CA chain,
// every base64 value checked twice) was a third of that start's CPU.
//
// It decodes what json.Unmarshal would into the two values, or reports
// false; it does not check the parts it skips, whose damage is the Store's
// to report (every Store hands out JSON it wrote or checked). An object
// laid out otherwise than encoding/json writes it (escapes in keys or
// values, a key cased otherwise, a repeated data member) is decoded the
// general way.
func servingSecret(raw store.Raw) (*secret.Secret, bool) {
	s := &secret.Secret{}
	if !decodeServing(raw, s, nil) {
		return nil, false
	}
	return s, true
}

// decodeServing is servingSecret into s, whose Data map it reuses (its
// other fields are overwritten), with the certificate and key decoded into
// scratch when it is not nil (see base64Value): a caller decoding Secret
// after Secret, and keeping none, allocates next to nothing for each.
func decodeServing(raw store.Raw, s *secret.Secret, scratch *[]byte) bool {
	data := s.Data
	clear(data)
	*s = secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: raw.Ref.Namespace, Name: raw.Ref.Name, ResourceVersion: raw.ResourceVersion}}
	crt, key, ok := servingData(raw.Data, scratch)
	if !ok {
		full := &secret.Secret{}
		if raw.Decode(full) != nil {
			return false
		}
		crt, key = full.Data[secret.TLSCertKey], full.Data[secret.TLSKeyKey]
	}
	if crt != nil || key != nil {
		if data == nil {
			data = map[string][]byte{}
		}
		if crt != nil {
			data[secret.TLSCertKey] = crt
		}
		if key != nil {
			data[secret.TLSKeyKey] = key
		}
		s.Data = data
	}
	return true
}

// servingData is the quick way of servingSecret; ok is false when data is
// not laid out as it expects, and then nothing is decided. crt and key are
// decoded into scratch when it is not nil and has room (appended: see
// base64Value), else into new arrays.
func servingData(data []byte, scratch *[]byte) (crt, key []byte, ok bool) {
	var members []byte
	plain := true
	wellFormed := jsonmember.Each(data, func(k, v []byte) bool {
		switch {
		case string(k) == "data":
			plain = members == nil
			members = v
		case bytes.ContainsRune(k, '\\'), bytes.EqualFold(k, []byte("data")):
			plain = false // encoding/json would take it for data
		}
		return plain
	})
	if !wellFormed || !plain {
		return nil, nil, false
	}
	if members == nil || string(members) == "null" {
		return nil, nil, true
	}
	if members[0] != '{' {
		return nil, nil, false
	}
	wellFormed = jsonmember.Each(members, func(k, v []byte) bool {
		var to *[]byte
		switch string(k) {
		case secret.TLSCertKey:
			to = &crt
		case secret.TLSKeyKey:
			to = &key
		default:
			plain = !bytes.ContainsRune(k, '\\')
			return plain
		}
		*to, plain = base64Value(v, scratch)
		return plain
	})
	if !wellFormed || !plain {
		return nil, nil, false
	}
	return crt, key, true
}

// base64Value decodes a JSON string of standard base64 (or null) as
// encoding/json decodes it into a []byte; false for anything else. With
// scratch, the value is decoded after scratch's bytes when it fits in its
// capacity, and scratch grows by it: a caller decoding Secret after Secret
// reuses one array (secretPreload), where each decoded certificate was an
// array of its own, garbage once parsed.
func base64Value(v []byte, scratch *[]byte) ([]byte, bool) {
	if string(v) == "null" {
		return nil, true
	}
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	need := base64.StdEncoding.DecodedLen(len(s))
	var out []byte
	if scratch == nil {
		out = make([]byte, need)
	} else {
		if cap(*scratch)-len(*scratch) < need {
			// The values already decoded keep the old array.
			*scratch = make([]byte, 0, max(2*cap(*scratch), 2*need))
		}
		out = (*scratch)[len(*scratch) : len(*scratch)+need]
	}
	n, err := base64.StdEncoding.Decode(out, s)
	if err != nil {
		return nil, false
	}
	if scratch != nil {
		*scratch = (*scratch)[:len(*scratch)+n]
	}
	return out[:n:n], true
}
