package route53

import (
	"strconv"
	"strings"
)

// canonical lower-cases name, decodes Route 53's \ddd escapes ("*" comes back
// as "\052") and appends the trailing dot, so names compare as Route 53
// compares them.
func canonical(name string) string {
	if strings.Contains(name, `\`) {
		var b strings.Builder
		for i := 0; i < len(name); i++ {
			if name[i] == '\\' && i+4 <= len(name) {
				if n, err := strconv.ParseUint(name[i+1:i+4], 8, 8); err == nil {
					b.WriteByte(byte(n))
					i += 3
					continue
				}
			}
			b.WriteByte(name[i])
		}
		name = b.String()
	}
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// maxCharString is the longest character-string a TXT record holds (RFC 1035).
const maxCharString = 255

// quoteTXT encodes text as Route 53 wants a TXT value: quoted
// character-strings of at most 255 bytes, with " and \ escaped.
func quoteTXT(text string) string {
	var b strings.Builder
	for first := true; first || text != ""; first = false {
		chunk := text
		if len(chunk) > maxCharString {
			chunk = chunk[:maxCharString]
		}
		text = text[len(chunk):]
		if !first {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for i := 0; i < len(chunk); i++ {
			if chunk[i] == '"' || chunk[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(chunk[i])
		}
		b.WriteByte('"')
	}
	return b.String()
}

// unquoteTXT decodes a Route 53 TXT value into the text a resolver sees:
// the concatenation of its quoted character-strings, with \" \\ and \ddd
// escapes decoded. A value that is not quoted is returned as it is.
func unquoteTXT(v string) string {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			in = !in
		case !in:
			// Separator between character-strings.
		case c == '\\' && i+3 < len(v) && isDigit(v[i+1]) && isDigit(v[i+2]) && isDigit(v[i+3]):
			b.WriteByte((v[i+1]-'0')*100 + (v[i+2]-'0')*10 + (v[i+3] - '0'))
			i += 3
		case c == '\\' && i+1 < len(v):
			b.WriteByte(v[i+1])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
