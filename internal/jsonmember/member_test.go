package jsonmember_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/internal/jsonmember"
)

type member struct{ key, value string }

func members(data string) ([]member, bool) {
	var got []member
	ok := jsonmember.Each([]byte(data), func(k, v []byte) bool {
		got = append(got, member{string(k), string(v)})
		return true
	})
	return got, ok
}

func TestEach(t *testing.T) {
	for name, tc := range map[string]struct {
		data string
		want []member
		bad  bool
	}{
		"empty object":               {data: ` {} `},
		"members":                    {data: `{"a":1,"b":"x","c":{"d":[1,{"e":"}]"}]},"f":null}`, want: []member{{"a", "1"}, {"b", `"x"`}, {"c", `{"d":[1,{"e":"}]"}]}`}, {"f", "null"}}},
		"white space":                {data: "{ \"a\" :\t[ 1 ] ,\n\"b\" : true }\r\n", want: []member{{"a", "[ 1 ]"}, {"b", "true"}}},
		"escapes in strings":         {data: `{"a\"b":"c\\","d":"\"}"}`, want: []member{{`a\"b`, `"c\\"`}, {"d", `"\"}"`}}},
		"cut short":                  {data: `{"a":{"b":1}`, bad: true},
		"unterminated string":        {data: `{"a":"b}`, bad: true},
		"no colon":                   {data: `{"a" 1}`, bad: true},
		"missing value":              {data: `{"a":}`, bad: true},
		"trailing comma":             {data: `{"a":1,}`, bad: true},
		"after the object":           {data: `{"a":1} x`, bad: true},
		"not an object":              {data: `[1]`, bad: true},
		"nothing":                    {data: ``, bad: true},
		"a key that is not a string": {data: `{a:1}`, bad: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := members(tc.data)
			if tc.bad {
				assert.False(t, ok)
				return
			}
			assert.True(t, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestEachStopsWhenAsked(t *testing.T) {
	var keys []string
	ok := jsonmember.Each([]byte(`{"a":1,"b":2,"c":`), func(k, _ []byte) bool {
		keys = append(keys, string(k))
		return string(k) != "b"
	})
	assert.True(t, ok, "what follows is not looked at")
	assert.Equal(t, []string{"a", "b"}, keys)
}

// Each finds the members json.Unmarshal finds in every valid object.
func FuzzEach(f *testing.F) {
	f.Add(`{"kind":"Secret","metadata":{"name":"a"},"object":{"data":{"k":"dg=="}}}`)
	f.Add(`{"a":[1,2,{"b":"]}"}],"c":-1.5e3}`)
	f.Fuzz(func(t *testing.T, data string) {
		var want map[string]json.RawMessage
		if json.Unmarshal([]byte(data), &want) != nil || want == nil {
			return
		}
		got := map[string]string{}
		n := 0
		ok := jsonmember.Each([]byte(data), func(k, v []byte) bool {
			n++
			if !bytes.ContainsRune(k, '\\') {
				got[string(k)] = string(v)
			}
			return true
		})
		if !ok {
			t.Fatalf("a valid object %q was not walked", data)
		}
		for k, v := range got {
			if w, found := want[k]; found && n == len(want) {
				assert.Equal(t, string(w), v, k)
			}
		}
	})
}
