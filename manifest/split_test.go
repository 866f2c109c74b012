package manifest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsSeparator(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"---\n", true},
		{"---", true},
		{"---\r\n", true},
		{"---   \n", true},
		{"--- # next\n", true},
		{"-----BEGIN CERTIFICATE-----\n", false},
		{"  ---\n", false},
		{"--- |\n", false},
		{"---x\n", false},
		{"--\n", false},
		{"...\n", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, isSeparator([]byte(tt.line)), "%q", tt.line)
	}
}

func TestSplitDocumentsLines(t *testing.T) {
	in := "---\n# only a comment\n---\na: 1\n---\n\n\n  # indented comment\nb: |\n  ---\n  -----BEGIN X-----\n---\n...\n---\nc: 3"
	docs := splitDocuments([]byte(in))
	type got struct {
		body        string
		line, first int
	}
	var gs []got
	for _, d := range docs {
		gs = append(gs, got{string(d.body), d.line, d.first})
	}
	assert.Equal(t, []got{
		{"a: 1\n", 4, 4},
		{"\n\n  # indented comment\nb: |\n  ---\n  -----BEGIN X-----\n", 6, 9},
		{"c: 3", 15, 15},
	}, gs)
}

func TestAbsoluteLines(t *testing.T) {
	tests := []struct {
		msg     string
		docLine int
		want    string
		first   int
	}{
		{"yaml: line 3: did not find expected key", 10, "yaml: line 12: did not find expected key", 12},
		{"yaml: unmarshal errors:\n  line 2: key \"a\" already set in map\n  line 4: x", 1, "yaml: unmarshal errors:\n  line 2: key \"a\" already set in map\n  line 4: x", 2},
		{"yaml: mapping values are not allowed in this context", 7, "yaml: mapping values are not allowed in this context", 0},
		{"pipeline x", 5, "pipeline x", 0},
		{"line 99999999999999: huge", 3, "line 99999999999999: huge", 0},
		{"line 5, line 6", 3, "line 7, line 8", 7},
	}
	for _, tt := range tests {
		got, first := absoluteLines(tt.msg, tt.docLine)
		assert.Equal(t, tt.want, got, tt.msg)
		assert.Equal(t, tt.first, first, tt.msg)
	}
}
