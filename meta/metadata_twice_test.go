package meta_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// A metadata member named twice (again, in other letter case, or with an
// escape) is read as the whole decode reads it, which merges the two, the
// later's members over the earlier's: read from the first alone, an
// object the Store's Get reports corrupt, or owned by another, was an
// orphan of the first's owner to the start-up sweep.
func TestMetadataNamedTwice_ReadAsTheWholeDecode(t *testing.T) {
	const first = `"metadata":{"name":"n","ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"gone"}]}`
	for name, tc := range map[string]struct {
		second  string
		wantErr bool
	}{
		"again, of the wrong type":         {second: `"metadata":{"labels":5}`, wantErr: true},
		"in other case, of the wrong type": {second: `"Metadata":{"labels":5}`, wantErr: true},
		"with an escape, wrong type":       {second: `"m\u0065tadata":{"labels":5}`, wantErr: true},
		"again, with other owners":         {second: `"metadata":{"ownerReferences":[{"kind":"Certificate","name":"stands"}]}`},
		"in other case, with other owners": {second: `"METADATA":{"ownerReferences":[{"kind":"Certificate","name":"stands"}]}`},
		"again, adding labels":             {second: `"metadata":{"labels":{"a":"b"}}`},
	} {
		t.Run(name, func(t *testing.T) {
			data := []byte(`{"kind":"Secret",` + first + `,"data":{"k":"dg=="},` + tc.second + `}`)
			var whole struct {
				Metadata meta.ObjectMeta `json:"metadata"`
			}
			wholeErr := json.Unmarshal(data, &whole)
			om, metaErr := meta.ObjectMetaOf(data)
			owners, ownersErr := meta.OwnerRefsOf(data)
			if tc.wantErr {
				require.Error(t, wholeErr, "the test's premise: the whole decode fails")
				assert.Error(t, metaErr, "ObjectMetaOf")
				assert.Error(t, ownersErr, "OwnerRefsOf")
				return
			}
			require.NoError(t, wholeErr, "the test's premise")
			require.NoError(t, metaErr)
			require.NoError(t, ownersErr)
			assert.Equal(t, whole.Metadata, om, "ObjectMetaOf")
			assert.Equal(t, whole.Metadata.OwnerRefs, owners, "OwnerRefsOf")
		})
	}
}
