package route53test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// apiError is a Route 53 error response.
type apiError struct {
	status        int
	code, message string
}

func invalidInput(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidInput", message: fmt.Sprintf(format, args...)}
}

// applyBatch validates a change batch and, only if every change is valid,
// applies all of them (Route 53 batches are atomic). It returns the TXT sets
// that changed.
func applyBatch(z *zoneState, changes []xmlChange) ([]rrKey, *apiError) {
	if len(changes) == 0 {
		return nil, invalidInput("Invalid request: ChangeBatch must contain at least one Change")
	}
	work := maps.Clone(z.sets)
	var msgs []string
	var touched []rrKey
	for _, c := range changes {
		rs := c.ResourceRecordSet
		name := canonical(rs.Name)
		if c.Action != "CREATE" && c.Action != "DELETE" && c.Action != "UPSERT" {
			return nil, invalidInput("Invalid XML ; value '%s' of element 'Action' is not valid", c.Action)
		}
		if rs.AliasTarget != nil || rs.SetIdentifier != "" {
			return nil, invalidInput("route53test: alias and routing-policy record sets are not supported")
		}
		if rs.Type == "" {
			return nil, invalidInput("Invalid request: Type is required in Change with [Action=%s, Name=%s]", c.Action, name)
		}
		if rs.TTL == nil || len(rs.ResourceRecords) == 0 {
			return nil, invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=null]", c.Action, name, rs.Type)
		}
		if !inZone(name, z.name) {
			msgs = append(msgs, fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", name, z.name))
			continue
		}
		values, bad := recordValues(rs)
		if len(bad) > 0 {
			msgs = append(msgs, bad...)
			continue
		}
		key := rrKey{name, rs.Type}
		cur, exists := work[key]
		switch c.Action {
		case "CREATE":
			if exists {
				msgs = append(msgs, fmt.Sprintf("Tried to create resource record set [name='%s', type='%s'] but it already exists", name, rs.Type))
				continue
			}
			work[key] = rrset{ttl: *rs.TTL, values: values}
		case "UPSERT":
			work[key] = rrset{ttl: *rs.TTL, values: values}
		case "DELETE":
			if !exists {
				msgs = append(msgs, fmt.Sprintf("Tried to delete resource record set [name='%s', type='%s'] but it was not found", name, rs.Type))
				continue
			}
			if cur.ttl != *rs.TTL || !sameValues(rs.Type, cur.values, values) {
				msgs = append(msgs, fmt.Sprintf("Tried to delete resource record set [name='%s', type='%s'] but the values provided do not match the current values", name, rs.Type))
				continue
			}
			delete(work, key)
		}
		if rs.Type == "TXT" {
			touched = append(touched, key)
		}
	}
	if len(msgs) > 0 {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidChangeBatch", message: "[" + strings.Join(msgs, ", ") + "]"}
	}
	z.sets = work
	return touched, nil
}

// recordValues checks the values of one set: TXT values quoted, no
// duplicates. It returns the values or Route 53's messages for the bad ones.
func recordValues(rs xmlRRSet) (values, msgs []string) {
	seen := map[string]bool{}
	for _, r := range rs.ResourceRecords {
		key := strings.TrimSpace(r.Value)
		if rs.Type == "TXT" {
			text, err := parseTXT(r.Value)
			if err != nil {
				msgs = append(msgs, fmt.Sprintf("Invalid Resource Record: 'FATAL problem: InvalidCharacterString (%s) encountered with '%s''", err, r.Value))
				continue
			}
			key = text
		}
		if seen[key] {
			msgs = append(msgs, fmt.Sprintf("Duplicate Resource Record: '%s'", r.Value))
			continue
		}
		seen[key] = true
		values = append(values, r.Value)
	}
	return values, msgs
}

// sameValues compares two value lists as sets of record data.
func sameValues(typ string, a, b []string) bool {
	norm := func(vs []string) []string {
		out := make([]string, 0, len(vs))
		for _, v := range vs {
			if typ == "TXT" {
				if t, err := parseTXT(v); err == nil {
					v = t
				}
			}
			out = append(out, strings.TrimSpace(v))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}

// txtTexts returns the decoded texts of a TXT set's values.
func txtTexts(values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if t, err := parseTXT(v); err == nil {
			out = append(out, t)
		}
	}
	return out
}
