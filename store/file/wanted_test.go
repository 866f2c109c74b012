package file

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// A List decodes of each file's metadata only what wantedBy asks for, then
// keeps what opts.Matches selects: Matches must select on that decode as
// on the whole metadata, for every filter ListOptions has.
func TestWantedByServesMatches(t *testing.T) {
	var fields []string
	for f := range reflect.TypeFor[store.ListOptions]().Fields() {
		fields = append(fields, f.Name)
	}
	require.Equal(t, []string{"Kind", "Namespace", "Labels", "Owner"}, fields,
		"ListOptions changed: make wantedBy ask for what Matches reads of a new filter, and add it here")

	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "a"}
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	other := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "d"}
	full := meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, UID: "u", ResourceVersion: "5",
		Labels: map[string]string{"l": "v", "m": "w"}, Annotations: map[string]string{"a": "b"}, OwnerRefs: []meta.Ref{owner}}
	data, err := json.Marshal(record{Kind: ref.Kind, Metadata: full, Object: json.RawMessage(`{}`)})
	require.NoError(t, err)

	for name, opts := range map[string]store.ListOptions{
		"none":               {},
		"kind":               {Kind: meta.KindSecret},
		"another kind":       {Kind: meta.KindCertificate},
		"namespace":          {Namespace: "ns"},
		"another namespace":  {Namespace: "other"},
		"labels":             {Labels: map[string]string{"l": "v", "m": "w"}},
		"a label's value":    {Labels: map[string]string{"l": "x"}},
		"a missing label":    {Labels: map[string]string{"n": "v"}},
		"owner":              {Owner: &owner},
		"another owner":      {Owner: &other},
		"labels and owner":   {Labels: map[string]string{"l": "v"}, Owner: &owner},
		"label, other owner": {Labels: map[string]string{"l": "v"}, Owner: &other},
		"all":                {Kind: meta.KindSecret, Namespace: "ns", Labels: map[string]string{"m": "w"}, Owner: &owner},
	} {
		var listed record
		require.NoError(t, decodeRecord(data, &listed, wantedBy(opts)), name)
		assert.Equal(t, opts.Matches(ref, &full), opts.Matches(ref, &listed.Metadata), name)
	}
}
