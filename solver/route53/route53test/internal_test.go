package route53test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseTXT(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`"abc"`, "abc", true},
		{`"a" "b"`, "ab", true},
		{`"a\"b\\c"`, `a"b\c`, true},
		{`"\065"`, "A", true},
		{`abc`, "", false},
		{`"abc`, "", false},
		{`"a""b"`, "", false},
		{``, "", false},
		{`"` + string(make([]byte, 256)) + `"`, "", false},
	}
	for _, tt := range tests {
		got, err := parseTXT(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
}

func TestCompareNamesSortsByReversedName(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"example.com.", "a.example.com.", -1},
		{"a.example.com.", "b.example.com.", -1},
		{"z.example.com.", "example.net.", -1},
		{"a-b.com.", "b.a.com.", -1}, // "com.a-b." < "com.a.b.", as Route 53 documents
		{"example.com.", "example.com.", 0},
	}
	for _, tt := range tests {
		got := compareNames(tt.a, tt.b)
		switch {
		case tt.want < 0:
			assert.Negative(t, got, "%s < %s", tt.a, tt.b)
		case tt.want > 0:
			assert.Positive(t, got, "%s > %s", tt.a, tt.b)
		default:
			assert.Zero(t, got)
		}
	}
}
