package jsonmember

import "encoding/binary"

// maxDepth is how deeply encoding/json lets arrays and objects nest.
const maxDepth = 10000

// Valid reports whether data is one JSON value, exactly as json.Valid
// does, in a fraction of its time: a Manager's start lists every object
// file (some 1.5 GB at 100k certificates), most of it long base64 strings,
// which encoding/json's scanner walks through a function call per byte.
func Valid(data []byte) bool { return valid(data, nil) }

// ValidMembers is Valid that also calls fn, as Each does, with the key
// and value of each member of data when it is an object, until fn returns
// false; it checks all of data either way. One pass instead of Valid's
// and Each's: an object file is both checked and taken apart.
func ValidMembers(data []byte, fn func(key, value []byte) bool) bool {
	return valid(data, fn)
}

// valid is Valid, calling fn (if not nil) for the members of a top-level
// object (see ValidMembers).
func valid(data []byte, fn func(key, value []byte) bool) bool {
	// Each open container: '{' or '['; after a '{' member value the next
	// token is ',' or '}', after an array element ',' or ']'.
	var stack []byte
	// The top-level object's member being read, while fn wants members.
	var key []byte
	valueAt := 0
	member := func(end int) {
		if fn != nil && len(stack) == 1 && stack[0] == '{' && !fn(key, data[valueAt:end]) {
			fn = nil
		}
	}
	i := skipSpace(data, 0)
	for {
		// A value starts at i.
		if i >= len(data) {
			return false
		}
		if len(stack) == 1 {
			valueAt = i
		}
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) == maxDepth {
				return false
			}
			stack = append(stack, c)
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				if i = topKey(data, i, len(stack), &key); i < 0 {
					return false
				}
			}
			continue
		case '"':
			var ok bool
			if i, ok = validString(data, i); !ok {
				return false
			}
		case 't':
			if !literal(data, i, "true") {
				return false
			}
			i += 4
		case 'f':
			if !literal(data, i, "false") {
				return false
			}
			i += 5
		case 'n':
			if !literal(data, i, "null") {
				return false
			}
			i += 4
		default:
			var ok bool
			if i, ok = number(data, i); !ok {
				return false
			}
		}
		// A value ended at i: close what it completes, or go on to the next.
		member(i)
		for {
			i = skipSpace(data, i)
			if len(stack) == 0 {
				return i == len(data)
			}
			if i >= len(data) {
				return false
			}
			top := stack[len(stack)-1]
			if data[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				member(i)
				continue
			}
			if data[i] != ',' {
				return false
			}
			i = skipSpace(data, i+1)
			if top == '{' {
				if i = topKey(data, i, len(stack), &key); i < 0 {
					return false
				}
			}
			break
		}
	}
}

// topKey is memberKey for a member at depth (1: of the top-level object,
// whose key it keeps in key); it returns -1 where memberKey fails.
func topKey(data []byte, i, depth int, key *[]byte) int {
	k, i, ok := memberKey(data, i)
	if !ok {
		return -1
	}
	if depth == 1 {
		*key = k
	}
	return i
}

// memberKey checks the key and colon of an object member at i and returns
// the key (as written, without its quotes) and where its value starts.
func memberKey(data []byte, i int) ([]byte, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	end, ok := validString(data, i)
	if !ok {
		return nil, 0, false
	}
	key := data[i+1 : end-1]
	i = skipSpace(data, end)
	if i >= len(data) || data[i] != ':' {
		return nil, 0, false
	}
	return key, skipSpace(data, i+1), true
}

// validString checks the string starting at data[i] ('"') and returns the
// index after it. As encoding/json, it accepts any byte from 0x20 up, valid
// UTF-8 or not.
func validString(data []byte, i int) (int, bool) {
	for i++; i < len(data); i++ {
		i = plainRun(data, i)
		if i >= len(data) {
			break
		}
		c := data[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		switch c {
		case '"':
			return i + 1, true
		case '\\':
			i++
			if i >= len(data) {
				return 0, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) {
					return 0, false
				}
				for _, h := range data[i+1 : i+5] {
					if !isHex(h) {
						return 0, false
					}
				}
				i += 4
			default:
				return 0, false
			}
		default:
			return 0, false // a control character
		}
	}
	return 0, false
}

// Eight bytes at a time (SWAR): lows has the low bit of each byte set,
// highs the high bit.
const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainRun returns the index of the first byte from i on that a string
// cannot simply go on with (a quote, a backslash, a control character), or
// len(data): base64 values are most of what the store holds.
func plainRun(data []byte, i int) int {
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		quote, backslash := x^(lows*'"'), x^(lows*'\\')
		// A byte below 0x20, or one that is zero after the xor, sets its
		// high bit here (the standard "has zero byte" test).
		if ((x-lows*0x20)&^x|(quote-lows)&^quote|(backslash-lows)&^backslash)&highs != 0 {
			break
		}
	}
	return i
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func literal(data []byte, i int, word string) bool {
	return len(data)-i >= len(word) && string(data[i:i+len(word)]) == word
}

// number checks the number starting at i (RFC 8259's grammar) and returns
// the index after it.
func number(data []byte, i int) (int, bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return 0, false
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		start := i
		for i < len(data) && isDigit(data[i]) {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		start := i
		for i < len(data) && isDigit(data[i]) {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	return i, true
}
