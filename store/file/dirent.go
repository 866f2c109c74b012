package file

// dirEntry is a name in a directory and what the listing said of it.
type dirEntry struct {
	name string
	// regular is true when the listing called it a regular file, so
	// reading it need not look at it before opening it (readObjectFile).
	regular bool
}
