package jsonmember

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidAgreesWithEncodingJSON(t *testing.T) {
	for _, data := range []string{
		``, ` `, `{}`, `[]`, ` { } `, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1 "b":2}`,
		`[1,2,[3,{"x":[]}]]`, `[1,]`, `[,1]`, `["a" "b"]`, `{"a":{"b":{"c":null}}}`, `{"a":{"b":{"c":nul}}}`,
		`true`, `false`, `null`, `tru`, `truex`, `nulll`, `"x"`, `"x`, `"\"\\\/\b\f\n\r\t\u00e9"`, `"\u00g9"`,
		`"\u12"`, `"\x"`, "\"a\tb\"", "\"a\x7fb\"", "\"\xff\xfe\"", `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`,
		`1e`, `1e+`, `1E-5`, `-12.25e10`, `1 2`, `{"a":1}}`, `{"a":[1}`, `[{"a":1]}`, "\ufeff{}",
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
		strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth),
		strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1),
	} {
		assert.Equal(t, json.Valid([]byte(data)), Valid([]byte(data)), "%.40q", data)
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"kind":"Secret","metadata":{"name":"a"},"object":{"data":{"k":"dg=="}}}`,
		`[1,-2.5e3,true,false,null,"\u00e9"]`, `{"a":[{}],"b":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := Valid(data), json.Valid(data); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid says %v", data, got, want)
		}
	})
}

func BenchmarkValid(b *testing.B) {
	doc := []byte(`{"kind":"Secret","metadata":{"namespace":"scale","name":"c0-tls","annotations":{"a":"b"}},"object":{"data":{"tls.crt":"` +
		strings.Repeat("QUJDRA==", 400) + `"},"type":"kubernetes.io/tls"}}`)
	b.Run("jsonmember", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			Valid(doc)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			json.Valid(doc)
		}
	})
}

func TestValidMembers(t *testing.T) {
	type member struct{ key, value string }
	for _, tc := range []struct {
		data  string
		want  []member
		valid bool
	}{
		{data: `{}`, valid: true},
		{data: ` { "a" : 1 , "b":{"c":{"d":[]}},"e":[{"f":"}"}],"g":{},"h":[] } `, valid: true,
			want: []member{{"a", "1"}, {"b", `{"c":{"d":[]}}`}, {"e", `[{"f":"}"}]`}, {"g", "{}"}, {"h", "[]"}}},
		{data: `{"a\"":"x\\"}`, valid: true, want: []member{{`a\"`, `"x\\"`}}},
		{data: `[{"a":1}]`, valid: true},
		{data: `"a"`, valid: true},
		{data: `{"a":1,"b":tru}`, want: []member{{"a", "1"}}},
		{data: `{"a":1}x`, want: []member{{"a", "1"}}},
	} {
		var got []member
		ok := ValidMembers([]byte(tc.data), func(k, v []byte) bool {
			got = append(got, member{string(k), string(v)})
			return true
		})
		assert.Equal(t, tc.valid, ok, tc.data)
		assert.Equal(t, tc.want, got, tc.data)
	}
}

func TestValidMembersChecksAllAfterFnStops(t *testing.T) {
	n := 0
	stop := func([]byte, []byte) bool { n++; return false }
	assert.True(t, ValidMembers([]byte(`{"a":1,"b":2}`), stop))
	assert.False(t, ValidMembers([]byte(`{"a":1,"b":}`), stop))
	assert.Equal(t, 2, n, "fn is called until it returns false")
}

// ValidMembers is Valid, and finds in a valid object the members Each does.
func FuzzValidMembers(f *testing.F) {
	for _, s := range []string{`{"kind":"Secret","metadata":{"name":"a"},"object":{"data":{"k":"dg=="}}}`,
		`{"a":[1,{"b":{}}],"c":-1.5e3,"d":"\u00e9"}`, `{"a":{}, "b" : [ ] }`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		type member struct{ key, value string }
		var got, want []member
		ok := ValidMembers(data, func(k, v []byte) bool {
			got = append(got, member{string(k), string(v)})
			return true
		})
		if ok != json.Valid(data) {
			t.Fatalf("ValidMembers(%q) = %v, json.Valid says %v", data, ok, !ok)
		}
		if !ok {
			return
		}
		if !Each(data, func(k, v []byte) bool {
			want = append(want, member{string(k), string(v)})
			return true
		}) {
			assert.Empty(t, got, "not an object: no members")
			return
		}
		assert.Equal(t, want, got)
	})
}
