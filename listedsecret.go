package certflow

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/certflow/certflow/internal/jsonmember"
	"github.com/certflow/certflow/secret"
)

// quickSecret decodes data, a listed Secret, into s (zero) exactly as
// json.Unmarshal would, or reports false and leaves s to be zeroed and
// decoded the general way. Every first visit after a restart decodes its
// certificate's listed Secret, and encoding/json walks each base64 value
// three times (checking the whole object first, unquoting, decoding):
// that was a sixth of those visits' CPU at 20k certificates.
//
// One pass checks the whole of data as json.Valid does and takes its
// members apart; the data values are decoded from base64 directly, the
// other members by encoding/json. Anything laid out otherwise than
// encoding/json writes it (a member repeated, a key cased otherwise or
// escaped, a value of another type) is left to the general way, so no
// rule of encoding/json's has to be restated here.
func quickSecret(data []byte, s *secret.Secret) bool {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return false // null, or not an object: json.Unmarshal's to say
	}
	var apiVersion, kind, metadata, typ, values []byte
	plain := true
	valid := jsonmember.ValidMembers(data, func(k, v []byte) bool {
		var to *[]byte
		switch string(k) {
		case "apiVersion":
			to = &apiVersion
		case "kind":
			to = &kind
		case "metadata":
			to = &metadata
		case "type":
			to = &typ
		case "data":
			to = &values
		default:
			plain = !foldsToSecretField(k)
			return plain
		}
		plain = *to == nil
		*to = v
		return plain
	})
	if !valid || !plain {
		return false
	}
	for _, m := range []struct {
		v  []byte
		to any
	}{{apiVersion, &s.TypeMeta.APIVersion}, {kind, &s.TypeMeta.Kind}, {metadata, &s.ObjectMeta}, {typ, &s.Type}} {
		if m.v != nil && json.Unmarshal(m.v, m.to) != nil {
			return false
		}
	}
	return quickSecretData(values, s)
}

// foldsToSecretField reports whether encoding/json may take the top-level
// key k (as written) for one of Secret's fields though it is not spelled
// as one: escaped, cased otherwise, or not valid UTF-8.
func foldsToSecretField(k []byte) bool {
	if bytes.IndexByte(k, '\\') >= 0 || !utf8.Valid(k) {
		return true
	}
	for _, f := range []string{"apiVersion", "kind", "metadata", "type", "data"} {
		if bytes.EqualFold(k, []byte(f)) {
			return true
		}
	}
	return false
}

// quickSecretData decodes v, the data member (nil when absent), into
// s.Data as json.Unmarshal would, or reports false.
func quickSecretData(v []byte, s *secret.Secret) bool {
	if v == nil || string(v) == "null" {
		return true
	}
	if v[0] != '{' {
		return false
	}
	out := map[string][]byte{}
	plain := true
	valid := jsonmember.Each(v, func(k, val []byte) bool {
		if bytes.IndexByte(k, '\\') >= 0 || !utf8.Valid(k) {
			plain = false
			return false
		}
		var b []byte
		if b, plain = base64Value(val, nil); plain {
			out[string(k)] = b
		}
		return plain
	})
	if !valid || !plain {
		return false
	}
	s.Data = out
	return true
}
