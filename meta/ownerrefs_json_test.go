package meta_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

func TestOwnerRefsOf(t *testing.T) {
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	for name, tc := range map[string]struct {
		data    string
		want    []meta.Ref
		wantErr bool
	}{
		"owned":                        {data: `{"kind":"Secret","metadata":{"name":"n","labels":{"a":"b"},"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c"}]},"data":{}}`, want: []meta.Ref{owner}},
		"not owned":                    {data: `{"metadata":{"name":"n"}}`},
		"members before the metadata":  {data: `{"spec":{"a":[1,{"b":"}"}]},"metadata":{"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c"}]}}`, want: []meta.Ref{owner}},
		"an escaped metadata key":      {data: `{"metad\u0061ta":{"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c"}]}}`, want: []meta.Ref{owner}},
		"no metadata":                  {data: `{"kind":"X","spec":{}}`, wantErr: true},
		"damaged metadata":             {data: `{"metadata":{"name":"n","labels":{`, wantErr: true},
		"owners of the wrong type":     {data: `{"metadata":{"ownerReferences":"c"}}`, wantErr: true},
		"metadata of the wrong type":   {data: `{"metadata":"n"}`, wantErr: true},
		"not an object":                {data: `["metadata"]`, wantErr: true},
		"damage after the metadata":    {data: `{"metadata":{"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c"}]},"data":{"x":`, want: []meta.Ref{owner}},
		"labels are not decoded (5)":   {data: `{"metadata":{"labels":5,"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c"}]}}`, want: []meta.Ref{owner}},
		"an empty list of owners":      {data: `{"metadata":{"ownerReferences":[]}}`, want: []meta.Ref{}},
		"empty":                        {data: ``, wantErr: true},
		"null owners, as never listed": {data: `{"metadata":{"ownerReferences":null}}`},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := meta.OwnerRefsOf([]byte(tc.data))
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The owners decoded alone are those of the whole metadata, wherever
// that decodes.
func FuzzOwnerRefsOf(f *testing.F) {
	f.Add(`{"metadata":{"name":"n","labels":{"a":"b"}},"data":{"k":"dg=="}}`)
	f.Add(`{"kind":"Secret","metadata":{"namespace":"x","ownerReferences":[{"kind":"Certificate","name":"c"}]}}`)
	f.Fuzz(func(t *testing.T, data string) {
		whole, err := meta.ObjectMetaOf([]byte(data))
		if err != nil {
			return
		}
		got, err := meta.OwnerRefsOf([]byte(data))
		require.NoError(t, err, "the whole metadata decodes")
		assert.Equal(t, whole.OwnerRefs, got)
	})
}
