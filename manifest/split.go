package manifest

import (
	"bytes"
	"strconv"
	"strings"
)

// document is one `---`-separated chunk of the input.
type document struct {
	body []byte
	// line is the 1-based input line of body's first line; the yaml
	// parser counts from there.
	line int
	// first is the 1-based input line of the first line with content,
	// where people see the document start.
	first int
}

// splitDocuments cuts data at separator lines, as Kubernetes' YAML reader
// does: a line starting with "---" followed by nothing but blanks or a
// comment. "-----BEGIN CERTIFICATE-----" and indented "---" inside block
// scalars are not separators. Chunks with no content are dropped.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 1, 1
	flush := func(end int) {
		if n := contentLine(data[start:end]); n >= 0 {
			docs = append(docs, document{body: data[start:end], line: startLine, first: startLine + n})
		}
	}
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		if isSeparator(data[pos:next]) {
			flush(pos)
			start, startLine = next, line+1
		}
		pos = next
		line++
	}
	flush(len(data))
	return docs
}

func isSeparator(l []byte) bool {
	rest, ok := bytes.CutPrefix(l, []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

// contentLine returns the 0-based line of b's first line that holds
// anything but blanks, a comment or a "..." document end marker, or -1.
func contentLine(b []byte) int {
	for n := 0; len(b) > 0; n++ {
		l := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			l, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' && string(l) != "..." {
			return n
		}
	}
	return -1
}

// absoluteLines rewrites the parser's document-relative "line N" into input
// lines, and returns the first such line (0 if none).
func absoluteLines(msg string, docLine int) (string, int) {
	const word = "line "
	var b strings.Builder
	first := 0
	for {
		i := strings.Index(msg, word)
		if i < 0 {
			b.WriteString(msg)
			return b.String(), first
		}
		b.WriteString(msg[:i+len(word)])
		msg = msg[i+len(word):]
		j := 0
		for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
			j++
		}
		if j == 0 || j > 9 { // not a line number the parser would give
			b.WriteString(msg[:j])
			msg = msg[j:]
			continue
		}
		n, _ := strconv.Atoi(msg[:j])
		abs := docLine + n - 1
		if first == 0 {
			first = abs
		}
		b.WriteString(strconv.Itoa(abs))
		msg = msg[j:]
	}
}
