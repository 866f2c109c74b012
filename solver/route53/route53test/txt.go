package route53test

import (
	"errors"
	"strings"
)

var errUnquoted = errors.New("Value should be enclosed in quotation marks")

// parseTXT decodes a Route 53 TXT value: one or more quoted character
// strings of at most 255 bytes each, separated by spaces, with \" \\ and
// \ddd escapes. It returns the strings concatenated, as a resolver sees them.
func parseTXT(v string) (string, error) {
	var out strings.Builder
	rest := strings.TrimSpace(v)
	if rest == "" {
		return "", errUnquoted
	}
	for rest != "" {
		if rest[0] != '"' {
			return "", errUnquoted
		}
		var cur strings.Builder
		i, closed := 1, false
		for i < len(rest) {
			c := rest[i]
			switch {
			case c == '"':
				closed = true
			case c == '\\' && i+3 < len(rest) && isDigits(rest[i+1:i+4]):
				cur.WriteByte((rest[i+1]-'0')*100 + (rest[i+2]-'0')*10 + (rest[i+3] - '0'))
				i += 4
				continue
			case c == '\\' && i+1 < len(rest):
				cur.WriteByte(rest[i+1])
				i += 2
				continue
			default:
				cur.WriteByte(c)
			}
			if closed {
				break
			}
			i++
		}
		if !closed {
			return "", errors.New("unterminated quoted string")
		}
		if cur.Len() > 255 {
			return "", errors.New("CharacterStringTooLong (Value is too long)")
		}
		out.WriteString(cur.String())
		rest = rest[i+1:]
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return "", errUnquoted
		}
		rest = strings.TrimLeft(rest, " \t")
	}
	return out.String(), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
