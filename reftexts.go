package certflow

// refText is a string a refTable's value keeps in the table's texts (its
// place there plus one; 0 is the empty string), so that the value holds
// no pointer: the Secret-name index's label and the validation-miss
// gate's names, one each a Certificate, were a string header apiece for
// the collector to scan and an allocation apiece to mark.
type refText uint32

// refTexter is a value that keeps refTexts: the table drops them with the
// value (release) and moves them when it compacts its texts.
type refTexter interface {
	refTexts(yield func(*refText) bool)
}

// text returns the bytes of r (see refNames.name: not to be kept).
func (t *refTable[T]) text(r refText) []byte {
	if r == 0 {
		return nil
	}
	return t.texts.name(uint32(r - 1))
}

// setText makes *r the text s, dropping the one it was.
func (t *refTable[T]) setText(r *refText, s string) {
	old := *r
	*r = 0
	if s != "" {
		*r = refText(t.texts.put(s) + 1)
	}
	if old != 0 {
		t.texts.release(uint32(old - 1))
		if t.texts.wasteful() {
			t.compactTexts()
		}
	}
}

// dropTexts drops the texts of the value of id, which is being released.
func (t *refTable[T]) dropTexts(id int32) {
	v, ok := any(&t.entries[id].val).(refTexter)
	if !ok {
		return
	}
	for r := range v.refTexts {
		if *r != 0 {
			t.texts.release(uint32(*r - 1))
			*r = 0
		}
	}
}

// compactTexts takes a compaction step over the texts (refNames.compact);
// a free id's value is zero, its texts none.
func (t *refTable[T]) compactTexts() {
	t.texts.compact(func(from int, visit func(*uint32)) int {
		to := min(from+refNameScan, len(t.entries))
		for id := from; id < to; id++ {
			v, ok := any(&t.entries[id].val).(refTexter)
			if !ok {
				return -1
			}
			for r := range v.refTexts {
				if *r != 0 {
					at := uint32(*r - 1)
					visit(&at)
					*r = refText(at + 1)
				}
			}
		}
		if to == len(t.entries) {
			return -1
		}
		return to
	})
}
