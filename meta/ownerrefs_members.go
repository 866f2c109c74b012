package meta

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/certflow/certflow/internal/jsonmember"
)

// metaMember is a member of ObjectMeta as OwnerRefsOf checks it.
type metaMember uint8

const (
	memberUnknown metaMember = iota // not ObjectMeta's: not checked
	memberString
	memberInt
	memberStrings
	memberTime
	memberOwners
)

// metaMembers are ObjectMeta's JSON names and how each is checked; keep
// them with ObjectMeta's fields (FuzzOwnerRefsOf compares the two).
var metaMembers = [...]struct {
	name string
	kind metaMember
}{
	{"namespace", memberString}, {"name", memberString}, {"uid", memberString},
	{"resourceVersion", memberString}, {"generation", memberInt},
	{"labels", memberStrings}, {"annotations", memberStrings},
	{"ownerReferences", memberOwners},
	{"creationTimestamp", memberTime}, {"deletionTimestamp", memberTime},
}

// ownersByMember is OwnerRefsOf of the metadata object found, read member
// by member (jsonmember.Each) instead of through encoding/json's
// reflection, which was a fifth of the read: each member of ObjectMeta is
// checked by its first bytes as its field decodes it, and only
// ownerReferences is decoded. done is false, leaving found to
// encoding/json, when found is not a valid JSON object, or has a key
// written with an escape or a byte outside ASCII, which encoding/json
// alone matches to a field as it does (it folds 'ſ' to 's').
func ownersByMember(found []byte) (refs []Ref, done bool, err error) {
	if len(found) == 0 || found[0] != '{' || !json.Valid(found) {
		return nil, false, nil
	}
	done = true
	jsonmember.Each(found, func(key, value []byte) bool {
		kind, plain := metaMemberOf(key)
		switch {
		case !plain:
			done = false
		case kind == memberOwners:
			// Into the same slice each time, as encoding/json decodes a
			// member named twice into its field.
			err = json.Unmarshal(value, &refs)
		default:
			err = checkMember(kind, value)
		}
		return done && err == nil
	})
	return refs, done, err
}

// metaMemberOf names the member key, which is plain when written in ASCII
// without escapes: only then is it matched here, as encoding/json matches
// it (exactly, or else in any letter case).
func metaMemberOf(key []byte) (kind metaMember, plain bool) {
	for _, m := range metaMembers {
		if string(key) == m.name {
			return m.kind, true
		}
	}
	for _, c := range key {
		if c == '\\' || c >= 0x80 {
			return memberUnknown, false
		}
	}
	for _, m := range metaMembers {
		if bytes.EqualFold(key, []byte(m.name)) {
			return m.kind, true
		}
	}
	return memberUnknown, true
}

// checkMember checks the JSON value of a member as its ObjectMeta field
// decodes it.
func checkMember(kind metaMember, value []byte) error {
	switch kind {
	case memberString:
		return (*stringMember)(nil).UnmarshalJSON(value)
	case memberInt:
		return checkInt64(value)
	case memberStrings:
		return (*stringsMap)(nil).UnmarshalJSON(value)
	case memberTime:
		return (*timeMember)(nil).UnmarshalJSON(value)
	}
	return nil
}

// checkInt64 checks what an int64 field decodes: null, or a number
// strconv.ParseInt takes (no fraction, no exponent, within int64).
func checkInt64(b []byte) error {
	if isNull(b) {
		return nil
	}
	if b[0] == '-' || b[0] >= '0' && b[0] <= '9' {
		if _, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			return nil
		}
	}
	return &wrongType{want: "integer"}
}
