package file

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// The stored layout and anything else decode as json.Unmarshal decodes
// them; damage is an error either way.
func TestDecodeRecord(t *testing.T) {
	stored, err := json.Marshal(record{Kind: meta.KindSecret, Metadata: meta.ObjectMeta{Namespace: "ns", Name: "a",
		Labels: map[string]string{"object": "}"}}, Object: json.RawMessage(`{"kind":"Secret","data":{"k":"dg=="}}`)})
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		data    string
		wantErr bool
	}{
		"as stored":                   {data: string(stored)},
		"spaced":                      {data: "{ \"kind\" : \"Secret\" , \"metadata\" : {\"name\":\"a\"} , \"object\" : {\"x\":1} }\n"},
		"members in another order":    {data: `{"object":{"x":1},"kind":"Secret","metadata":{"name":"a"}}`},
		"a member after the object":   {data: `{"kind":"Secret","metadata":{"name":"a"},"object":{"x":1},"extra":2}`},
		"a scalar object":             {data: `{"kind":"Secret","metadata":{"name":"a"},"object":"x"}`},
		"a damaged object":            {data: `{"kind":"Secret","metadata":{"name":"a"},"object":{"x":}}`, wantErr: true},
		"cut short":                   {data: string(stored[:len(stored)-3]), wantErr: true},
		"nothing after the object":    {data: `{"kind":"Secret","metadata":{"name":"a"},"object":{"x":1}`, wantErr: true},
		"garbage after the record":    {data: `{"kind":"Secret","metadata":{"name":"a"},"object":{"x":1}} }`, wantErr: true},
		"two objects in the object":   {data: `{"kind":"Secret","metadata":{"name":"a"},"object":{"x":1} {"y":2}}`, wantErr: true},
		"metadata of the wrong shape": {data: `{"kind":"Secret","metadata":[],"object":{}}`, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			var got, want record
			err := decodeRecord([]byte(tc.data), &got)
			wantErr := json.Unmarshal([]byte(tc.data), &want)
			if tc.wantErr {
				assert.Error(t, err)
				assert.Error(t, wantErr, "json.Unmarshal agrees")
				return
			}
			require.NoError(t, err)
			require.NoError(t, wantErr)
			assert.Equal(t, want, got)
		})
	}
}

// The object is a copy: it does not keep the file's bytes alive, and an
// append does not write into them.
func TestDecodeRecordCopiesTheObject(t *testing.T) {
	data := []byte(`{"kind":"Secret","metadata":{"name":"a"},"object":{"x":1}}`)
	var r record
	require.NoError(t, decodeRecord(data, &r))
	_ = append(r.Object, '!')
	r.Object[0] = '['
	assert.Equal(t, `{"kind":"Secret","metadata":{"name":"a"},"object":{"x":1}}`, string(data))
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(`{"kind":"Secret","metadata":{"name":"a","labels":{"object":"}"}},"object":{"data":{"k":"dg=="}}}`)
	f.Add(`{"kind":"Secret","metadata":{"name":"a"},"object":[1,2]}`)
	f.Fuzz(func(t *testing.T, data string) {
		var got, want record
		err := decodeRecord([]byte(data), &got)
		wantErr := json.Unmarshal([]byte(data), &want)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("decodeRecord: %v, json.Unmarshal: %v", err, wantErr)
		}
		if err == nil {
			assert.Equal(t, want, got)
		}
	})
}
