package meta

import (
	"encoding/json"
	"time"

	"github.com/certflow/certflow/internal/jsonmember"
)

// OwnerRefsOf decodes the owner references in the "metadata" member of
// the JSON object data, and nothing else: a Manager starting on a Store
// of 100k certificates wants the owners of some 800k objects, and the
// labels, annotations and times ObjectMetaOf decodes with them (some 260
// MB of maps and strings) were thrown away at once.
//
// It fails exactly where ObjectMetaOf fails, so an object whose metadata
// cannot be read is owned by none for every reader alike: its other
// members are checked to have the JSON types ObjectMeta decodes them
// into, without being decoded. Judged on its owners alone, an object with
// `"labels": 5` was an orphan to the start-up sweep and was deleted,
// where every other reader reports it unreadable and keeps it. The
// members are read one by one (ownersByMember), and through encoding/json
// (ownersOnly) only when a key is written so that encoding/json alone can
// tell which member it names.
//
// On error it returns no refs, whatever was read before the failure: an
// unreadable object is owned by none (the start-up sweep ignores the
// error), and a member written after ownerReferences (the times, as the
// Store writes them) fails once the owners are read.
func OwnerRefsOf(data []byte) ([]Ref, error) {
	refs, err := ownerRefsOf(data)
	if err != nil {
		return nil, err
	}
	return refs, nil
}

// ownerRefsOf is OwnerRefsOf, returning what it read before an error.
func ownerRefsOf(data []byte) ([]Ref, error) {
	found, plain, ok := metadataMember(data)
	switch {
	case !plain:
		var v struct {
			Metadata ownersOnly `json:"metadata"`
		}
		err := json.Unmarshal(data, &v)
		return v.Metadata.OwnerRefs, err
	case !ok || found == nil:
		return nil, errNoMetadata
	}
	if refs, done, err := ownersByMember(found); done {
		return refs, err
	}
	var m ownersOnly
	err := json.Unmarshal(found, &m)
	return m.OwnerRefs, err
}

// ownersOnly is ObjectMeta as OwnerRefsOf reads it: its owner references,
// and every other member under ObjectMeta's name (so encoding/json matches
// the same keys, in any letter case) in a type that checks the member's
// JSON type as ObjectMeta's field would, keeping nothing.
type ownersOnly struct {
	Namespace       stringMember `json:"namespace"`
	Name            stringMember `json:"name"`
	UID             stringMember `json:"uid"`
	ResourceVersion stringMember `json:"resourceVersion"`
	Generation      int64        `json:"generation"`
	Labels          stringsMap   `json:"labels"`
	Annotations     stringsMap   `json:"annotations"`
	OwnerRefs       []Ref        `json:"ownerReferences"`
	CreationTime    timeMember   `json:"creationTimestamp"`
	DeletionTime    timeMember   `json:"deletionTimestamp"`
}

// wrongType is the error of a metadata member whose JSON type is not the
// one its ObjectMeta field decodes.
type wrongType struct{ want string }

func (e *wrongType) Error() string { return "meta: a metadata member is not a JSON " + e.want }

// stringMember checks what a string field decodes: a string or null.
type stringMember struct{}

func (*stringMember) UnmarshalJSON(b []byte) error {
	if isNull(b) || b[0] == '"' {
		return nil
	}
	return &wrongType{want: "string"}
}

// stringsMap checks what a map[string]string decodes: null, or an object
// whose values are strings or null (any key is a string).
type stringsMap struct{}

func (*stringsMap) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	// encoding/json has checked b is valid JSON: Each only delimits it,
	// and stops (still reporting true) at the first value refused.
	allStrings := b[0] == '{'
	if allStrings {
		jsonmember.Each(b, func(_, value []byte) bool {
			allStrings = isNull(value) || value[0] == '"'
			return allStrings
		})
	}
	if !allStrings {
		return &wrongType{want: "object of strings"}
	}
	return nil
}

// timeMember checks what a *time.Time decodes: null, or what
// time.Time.UnmarshalJSON accepts.
type timeMember struct{}

func (*timeMember) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var t time.Time
	return t.UnmarshalJSON(b)
}

// isNull reports whether the JSON value b (delimited by encoding/json,
// so never empty) is null.
func isNull(b []byte) bool { return string(b) == "null" }
