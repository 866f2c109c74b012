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
			err := decodeRecord([]byte(tc.data), &got, nil)
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
	require.NoError(t, decodeRecord(data, &r, nil))
	_ = append(r.Object, '!')
	r.Object[0] = '['
	assert.Equal(t, `{"kind":"Secret","metadata":{"name":"a"},"object":{"x":1}}`, string(data))
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(`{"kind":"Secret","metadata":{"name":"a","labels":{"object":"}"}},"object":{"data":{"k":"dg=="}}}`)
	f.Add(`{"kind":"Secret","metadata":{"name":"a"},"object":[1,2]}`)
	f.Fuzz(func(t *testing.T, data string) {
		var got, want record
		err := decodeRecord([]byte(data), &got, nil)
		wantErr := json.Unmarshal([]byte(data), &want)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("decodeRecord: %v, json.Unmarshal: %v", err, wantErr)
		}
		if err == nil {
			assert.Equal(t, want, got)
		}
		var listed record
		err = decodeRecord([]byte(data), &listed, &metaWanted{})
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("decodeRecord for a List: %v, json.Unmarshal: %v", err, wantErr)
		}
		if err == nil {
			assertListedAs(t, want, listed)
		}
	})
}

// assertListedAs asserts that listed holds what a List reads of want.
func assertListedAs(t *testing.T, want, listed record) {
	t.Helper()
	assert.Equal(t, want.Kind, listed.Kind)
	assert.Equal(t, want.Object, listed.Object)
	assert.Equal(t, want.Metadata.Name, listed.Metadata.Name)
	assert.Equal(t, want.Metadata.Namespace, listed.Metadata.Namespace)
	assert.Equal(t, want.Metadata.ResourceVersion, listed.Metadata.ResourceVersion)
}

// For a List, the metadata members it reads decode as json.Unmarshal
// decodes them, however they are written; labels and owners are decoded
// when a filter needs them.
func TestDecodeRecordForAList(t *testing.T) {
	for name, data := range map[string]string{
		"as stored":             `{"kind":"Secret","metadata":{"namespace":"ns","name":"a","uid":"u","resourceVersion":"5","annotations":{"name":"x"}},"object":{}}`,
		"an escaped name":       `{"kind":"Secret","metadata":{"name":"\u0061b"},"object":{}}`,
		"an escaped key":        `{"kind":"Secret","metadata":{"n\u0061me":"b"},"object":{}}`,
		"a key cased otherwise": `{"kind":"Secret","metadata":{"name":"a","NAME":"b","ResourceVersion":"7"},"object":{}}`,
		"a repeated key":        `{"kind":"Secret","metadata":{"name":"a","name":"b"},"object":{}}`,
		"an escaped kind":       `{"kind":"Sec\u0072et","metadata":{"name":"a"},"object":{}}`,
		"invalid UTF-8":         "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"a\xff\"},\"object\":{}}",
		"a null name":           `{"kind":"Secret","metadata":{"name":null,"namespace":"ns"},"object":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			var want, got record
			require.NoError(t, json.Unmarshal([]byte(data), &want))
			require.NoError(t, decodeRecord([]byte(data), &got, &metaWanted{}))
			assertListedAs(t, want, got)
		})
	}
	data := `{"kind":"Secret","metadata":{"name":"a","labels":{"l":"v"},"ownerReferences":[{"kind":"Certificate","name":"c"}]},"object":{}}`
	var got record
	require.NoError(t, decodeRecord([]byte(data), &got, &metaWanted{labels: true}))
	assert.Equal(t, map[string]string{"l": "v"}, got.Metadata.Labels, "a label filter reads the labels")
	got = record{}
	require.NoError(t, decodeRecord([]byte(data), &got, &metaWanted{owners: true}))
	assert.Len(t, got.Metadata.OwnerRefs, 1, "an owner filter reads the owners")
}
