package order

import "encoding/base64"

// appendSpecJSON appends json.Marshal(spec) to b, byte for byte, without
// encoding/json: a request names its Order on each of its visits, and the
// reflection and buffers of encoding/json were most of that. It reports
// false, having appended nothing, when a string of spec is not plain
// printable ASCII (a quote, a backslash, <, > or &, a control character,
// anything beyond ASCII): encoding/json escapes those, and Name leaves
// them to it rather than copy its rules. TestAppendSpecJSONIsMarshal holds
// the two to the same bytes.
func appendSpecJSON(b []byte, spec *Spec) ([]byte, bool) {
	if !plainSpec(spec) {
		return b, false
	}
	b = append(b, `{"request":`...)
	if spec.Request == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, spec.Request)
		b = append(b, '"')
	}
	b = append(b, `,"issuerRef":{"name":`...)
	b = appendPlain(b, spec.IssuerRef.Name)
	b = appendPlainField(b, `,"kind":`, string(spec.IssuerRef.Kind))
	b = appendPlainField(b, `,"group":`, spec.IssuerRef.Group)
	b = append(b, '}')
	b = appendPlainField(b, `,"commonName":`, spec.CommonName)
	b = appendPlainList(b, `,"dnsNames":`, spec.DNSNames)
	b = appendPlainList(b, `,"ipAddresses":`, spec.IPAddresses)
	if spec.Duration != nil {
		// meta.Duration marshals as its String: digits, a sign, a dot
		// and unit letters ("µs" among them), none of which
		// encoding/json escapes.
		b = append(b, `,"duration":`...)
		b = appendPlain(b, spec.Duration.String())
	}
	b = appendPlainField(b, `,"profile":`, spec.Profile)
	b = appendPlainField(b, `,"replaces":`, spec.Replaces)
	return append(b, '}'), true
}

// appendPlainField appends key and s, or nothing for an empty s (the
// fields are omitempty).
func appendPlainField(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendPlain(append(b, key...), s)
}

// appendPlainList appends key and list as a JSON array of strings, or
// nothing for an empty list (the fields are omitempty).
func appendPlainList(b []byte, key string, list []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(b, key...)
	for i, s := range list {
		if i == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		b = appendPlain(b, s)
	}
	return append(b, ']')
}

// appendPlain appends s, known to be plain, as a JSON string.
func appendPlain(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainSpec reports whether every string of spec is plain (see plain).
func plainSpec(spec *Spec) bool {
	ok := plain(spec.IssuerRef.Name) && plain(string(spec.IssuerRef.Kind)) && plain(spec.IssuerRef.Group) &&
		plain(spec.CommonName) && plain(spec.Profile) && plain(spec.Replaces)
	for _, s := range spec.DNSNames {
		ok = ok && plain(s)
	}
	for _, s := range spec.IPAddresses {
		ok = ok && plain(s)
	}
	return ok
}

// plain reports whether encoding/json writes s as is between quotes:
// printable ASCII but for the quote, the backslash and the three
// characters it escapes for HTML.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e:
			return false
		case c == '"' || c == '\\' || c == '<' || c == '>' || c == '&':
			return false
		}
	}
	return true
}
