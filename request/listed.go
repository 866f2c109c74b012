package request

import (
	"bytes"
	"encoding/json"

	"github.com/certflow/certflow/internal/jsonmember"
	"github.com/certflow/certflow/store"
)

// FinalListed reports whether the listed request raw is final (IsFinal),
// which a visit leaves as it is: a Manager starting on a Store need not
// visit it. It decodes only the status conditions (a request's JSON is
// mostly its CSR and chain), and reports false whenever it cannot tell
// that way (a key cased or escaped otherwise than encoding/json writes
// it, damage): then the request is visited.
func FinalListed(raw store.Raw) bool {
	status, ok := member(raw.Data, "status")
	if !ok || status == nil {
		return false
	}
	conditions, ok := member(status, "conditions")
	if !ok || conditions == nil {
		return false
	}
	req := &CertificateRequest{}
	if json.Unmarshal(conditions, &req.Status.Conditions) != nil {
		return false
	}
	return IsFinal(req)
}

// member returns the value of the member name of the JSON object data (nil
// if absent); false when a key might be taken for it by encoding/json
// without being written as name, or data is not an object.
func member(data []byte, name string) ([]byte, bool) {
	var found []byte
	plain := true
	ok := jsonmember.Each(data, func(k, v []byte) bool {
		switch {
		case string(k) == name:
			found = v
		case bytes.ContainsRune(k, '\\'), bytes.EqualFold(k, []byte(name)):
			plain = false
		}
		return plain
	})
	return found, ok && plain
}
