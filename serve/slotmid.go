package serve

// midWords is a key of 17 to 32 bytes as lookup and findMid compare a name
// with it: its words at 0, 8, n-16 and n-8 (foldHashMid's), kept in the
// slot beside the certificate. At 100k names the key's own bytes, behind
// the slot's string, were one more dependent miss on every hit, after the
// control word's and the slot's, which a Go map pays too; with the words
// inline a hit reads the control word and one line (docs/serving.md).
//
// They are written with the key, before its control byte is stored, and
// never change (table.go's lock-free rules). A key of another length has
// them zero, and its length (the string's, in the same line) is compared
// first. Only plain keys are compared by their words: a table that holds
// another sends its lookups to findFolded first (notPlain).
type midWords [4]uint64

// midWordsOf returns key's midWords, zero unless it has 17 to 32 bytes.
func midWordsOf(key string) midWords {
	n := len(key)
	if n <= 16 || n > 32 {
		return midWords{}
	}
	return midWords{load8(key, 0), load8(key, 8), load8(key, n-16), load8(key, n-8)}
}

// is reports whether the folded words x0..x3 of a name of the key's length
// are the key's.
func (m *midWords) is(x0, x1, x2, x3 uint64) bool {
	return (x0^m[0])|(x1^m[1])|(x2^m[2])|(x3^m[3]) == 0
}
