// Package jsonmember finds the members of a JSON object without decoding
// them, so that a caller decodes only the members it wants: the metadata
// of an object whose key and certificate chain follow, or an object file's
// parts without copying the object.
package jsonmember

import "bytes"

// Each calls fn with the key (as written, without its quotes) and the
// value (as written, without surrounding white space) of each member of
// the JSON object data, in order, until fn returns false. It reports
// whether data is one object with well-formed members; the values are
// only delimited, not checked: the caller decodes those it uses. A key
// holding an escape is passed as written, backslash included.
func Each(data []byte, fn func(key, value []byte) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		end, ok := skipString(data, i)
		if !ok {
			return false
		}
		key := data[i+1 : end-1]
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		start := i
		if i, ok = skipValue(data, i); !ok {
			return false
		}
		if !fn(key, data[start:i]) {
			return true
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string starting at data[i] ('"').
// It jumps from quote to quote (bytes.IndexByte, many bytes a step) and
// looks for backslashes only before each: the base64 of a Secret's key
// and chain is most of what a caller steps over to reach the members
// after it (ObjectMetaOf looks at every member, for a second metadata).
func skipString(data []byte, i int) (int, bool) {
	i++
	for {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			return 0, false
		}
		quote := i + q
		for {
			b := bytes.IndexByte(data[i:quote], '\\')
			if b < 0 {
				return quote + 1, true
			}
			// An escape takes the byte after it, maybe this quote.
			if i += b + 2; i > quote {
				break
			}
		}
	}
}

// skipValue returns the index after the value starting at data[i]: a
// string, an object or array (brackets balanced outside strings), or a
// literal (up to the next delimiter).
func skipValue(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				end, ok := skipString(data, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	case ',', '}', ']', ':':
		return 0, false
	default:
		start := i
		for i < len(data) && !isSpace(data[i]) && data[i] != ',' && data[i] != '}' && data[i] != ']' {
			i++
		}
		return i, i > start
	}
}
