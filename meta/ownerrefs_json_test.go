package meta_test

import (
	"encoding/json"
	"strings"
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
		"labels of the wrong type":     {data: `{"metadata":{"labels":5,"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c"}]}}`, wantErr: true},
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

// Owners are read from exactly the metadata ObjectMeta reads: a member
// of the wrong type fails both, and the whole object's decode (as the
// Store's Get does it); a well-typed or unknown member fails neither.
func TestOwnerRefsOf_FailsWhereObjectMetaFails(t *testing.T) {
	const owners = `"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c"}]`
	for name, tc := range map[string]struct {
		member  string
		wantErr bool
	}{
		"labels a number":                      {member: `"labels":5`, wantErr: true},
		"labels a list":                        {member: `"labels":["a"]`, wantErr: true},
		"labels a string":                      {member: `"labels":"a"`, wantErr: true},
		"a label a number":                     {member: `"labels":{"a":"b","c":1}`, wantErr: true},
		"a label an object":                    {member: `"labels":{"a":{}}`, wantErr: true},
		"annotations true":                     {member: `"annotations":true`, wantErr: true},
		"an annotation a list":                 {member: `"annotations":{"a":[]}`, wantErr: true},
		"name a list":                          {member: `"name":[]`, wantErr: true},
		"namespace a number":                   {member: `"namespace":1`, wantErr: true},
		"uid an object":                        {member: `"uid":{}`, wantErr: true},
		"resourceVersion a number":             {member: `"resourceVersion":7`, wantErr: true},
		"generation a string":                  {member: `"generation":"2"`, wantErr: true},
		"generation a fraction":                {member: `"generation":1.5`, wantErr: true},
		"generation an exponent":               {member: `"generation":1e3`, wantErr: true},
		"generation past int64":                {member: `"generation":9223372036854775808`, wantErr: true},
		"creationTimestamp a number":           {member: `"creationTimestamp":5`, wantErr: true},
		"creationTimestamp not a time":         {member: `"creationTimestamp":"yesterday"`, wantErr: true},
		"deletionTimestamp a list":             {member: `"deletionTimestamp":[]`, wantErr: true},
		"a member in other letter case":        {member: `"LABELS":5`, wantErr: true},
		"a key written with escapes":           {member: `"l\u0061bels":5`, wantErr: true},
		"a wrong member named twice":           {member: `"name":5,"name":"n"`, wantErr: true},
		"a key folding to labels (ſ)":          {member: `"labelſ":5`, wantErr: true},
		"labels":                               {member: `"labels":{"a":"b","c":null}`},
		"every member null":                    {member: `"name":null,"namespace":null,"uid":null,"resourceVersion":null,"generation":null,"labels":null,"annotations":null,"creationTimestamp":null,"deletionTimestamp":null`},
		"every member well typed":              {member: `"name":"n","namespace":"ns","uid":"u","resourceVersion":"7","generation":-2,"annotations":{},"creationTimestamp":"2025-01-02T03:04:05Z","deletionTimestamp":"2025-01-02T03:04:05.5+01:00"`},
		"finalizers, which ObjectMeta has not": {member: `"finalizers":"x"`},
		"a member ObjectMeta has not":          {member: `"managedFields":5`},
		"owners named twice, in other case":    {member: `"ownerReferences":[{"kind":"A","namespace":"x","name":"n"},{"kind":"C","name":"c"}],"OwnerReferences":[{"kind":"B","name":"m"}]`},
	} {
		t.Run(name, func(t *testing.T) {
			// Read member by member, and (its key written with an escape)
			// through encoding/json: both as the whole decode. The member
			// before the owners and after them (as the Store writes the
			// times): owners read before a failure are no owners.
			for _, key := range []string{`metadata`, `metad\u0061ta`} {
				for _, members := range []string{tc.member + `,` + owners, owners + `,` + tc.member} {
					data := []byte(`{"kind":"Secret","` + key + `":{` + members + `},"data":{}}`)
					var whole struct {
						Metadata meta.ObjectMeta `json:"metadata"`
					}
					wholeErr := json.Unmarshal(data, &whole)
					_, metaErr := meta.ObjectMetaOf(data)
					got, err := meta.OwnerRefsOf(data)
					if tc.wantErr {
						require.Error(t, wholeErr, "the test's premise: the whole decode fails")
						require.Error(t, metaErr, "the test's premise: ObjectMetaOf fails")
						assert.Error(t, err, "%s", data)
						assert.Nil(t, got, "%s: owned by none", data)
						continue
					}
					require.NoError(t, wholeErr, "the test's premise")
					require.NoError(t, metaErr, "the test's premise")
					require.NoError(t, err, "%s", data)
					assert.Equal(t, whole.Metadata.OwnerRefs, got, "%s", data)
				}
			}
		})
	}
}

// OwnerRefsOf fails where ObjectMetaOf fails, and else reads the owners
// of the whole metadata; on valid JSON both read what decoding the whole
// object reads (a metadata member named twice among them).
func FuzzOwnerRefsOf(f *testing.F) {
	f.Add(`{"metadata":{"name":"n","labels":{"a":"b"}},"data":{"k":"dg=="}}`)
	f.Add(`{"kind":"Secret","metadata":{"namespace":"x","ownerReferences":[{"kind":"Certificate","name":"c"}]}}`)
	f.Add(`{"metadata":{"labels":5,"ownerReferences":[{"kind":"Certificate","name":"c"}]}}`)
	f.Add(`{"metadata":{"name":[],"annotations":{"a":1},"ownerReferences":[{"kind":"Certificate","name":"c"}]}}`)
	f.Add(`{"metadata":{"generation":1.5,"creationTimestamp":"x","ownerReferences":[]}}`)
	f.Add(`{"Metadata":{"Labels":{"a":null},"deletionTimestamp":"2025-01-02T03:04:05Z"},"metadata":{"uid":7}}`)
	f.Add(`{"metadata":{"ownerReferences":[{"kind":"A","namespace":"x","name":"n"},{"kind":"C","name":"c"}],"OwnerReferences":[{"kind":"B","name":"m"}]}}`)
	f.Add(`{"metadata":{"GENERATION":-0,"generation":9223372036854775807,"nAme":null,"x\u0041":1,"labelſ":{}}}`)
	f.Add(`{"metadata":{"ownerReferences":[{"kind":"A","name":"n"}],"ownerReferences":null}}`)
	f.Add(`{"metadata":{"creationTimestamp":"2025-13-02T03:04:05Z","ownerReferences":[{"kind":5}]}}`)
	f.Add(`{"metadata":{"ownerReferences":[{"kind":"A","name":"n"}]},"data":{"k":"dg=="},"Metadata":{"labels":5}}`)
	f.Fuzz(func(t *testing.T, data string) {
		whole, wholeErr := meta.ObjectMetaOf([]byte(data))
		got, err := meta.OwnerRefsOf([]byte(data))
		if json.Valid([]byte(data)) {
			var decoded struct {
				Metadata *meta.ObjectMeta `json:"metadata"`
			}
			decodeErr := json.Unmarshal([]byte(data), &decoded)
			if decodeErr == nil && decoded.Metadata != nil {
				require.NoError(t, wholeErr, "the whole object decodes")
				assert.Equal(t, decoded.Metadata.OwnerRefs, whole.OwnerRefs)
			} else if decodeErr != nil {
				assert.Error(t, wholeErr, "the whole object does not decode: %v", decodeErr)
			}
		}
		if wholeErr != nil {
			assert.Error(t, err, "ObjectMetaOf fails: %v", wholeErr)
			assert.Nil(t, got, "unreadable: owned by none")
			return
		}
		require.NoError(t, err, "the whole metadata decodes")
		assert.Equal(t, whole.OwnerRefs, got)
	})
}

// BenchmarkOwnerRefsOf reads the owners of a Secret as stored (its labels,
// annotations and times checked, a key and a chain after its metadata).
func BenchmarkOwnerRefsOf(b *testing.B) {
	chain := strings.Repeat("MIIBszCCAVmgAwIBAgIRAKn", 120)
	data := []byte(`{"kind":"Secret","metadata":{"namespace":"ns","name":"c0-tls","uid":"c25ae985","resourceVersion":"5",` +
		`"creationTimestamp":"2026-12-03T18:00:00Z","annotations":{"cert-manager.io/alt-names":"c0.scale.test","cert-manager.io/certificate-name":"c0"},` +
		`"labels":{"controller.cert-manager.io/fao":"true"},"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c0"}]},` +
		`"type":"kubernetes.io/tls","data":{"tls.crt":"` + chain + `","tls.key":"` + chain[:300] + `"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := meta.OwnerRefsOf(data); err != nil {
			b.Fatal(err)
		}
	}
}
