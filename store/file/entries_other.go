//go:build !linux

package file

// entries lists the names in f, saying nothing of what they are: each is
// looked at before it is opened (readObjectFile).
func (f *folder) entries() ([]dirEntry, error) {
	names, err := f.names()
	if err != nil {
		return nil, err
	}
	out := make([]dirEntry, len(names))
	for i, n := range names {
		out[i] = dirEntry{name: n}
	}
	return out, nil
}
