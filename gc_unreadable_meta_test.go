package certflow

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store/file"
)

// TestResync_UnreadableMetadataIsNotCollected: a listed request whose
// owner is gone but whose metadata has a member of the wrong type
// ("labels": 5), or a second metadata member holding one, cannot be read,
// so the start-up sweep keeps it, and its visit reports it corrupt, as for
// any object whose metadata does not decode; its readable sibling is
// collected. Judged on its owners alone, or on its first metadata member
// alone, it was deleted without a word.
func TestResync_UnreadableMetadataIsNotCollected(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, path string){
		"a member of the wrong type": func(t *testing.T, path string) { setObjectMember(t, path, "labels", 5) },
		"a second metadata member":   func(t *testing.T, path string) { appendObjectMember(t, path, `"metadata":{"labels":5}`) },
		// Written after ownerReferences (keys in order): the owners are
		// read before the member that fails.
		"a member of the wrong type after the owners": func(t *testing.T, path string) { setObjectMember(t, path, "uid", 5) },
	} {
		t.Run(name, func(t *testing.T) { testUnreadableMetadataIsNotCollected(t, damage) })
	}
}

func testUnreadableMetadataIsNotCollected(t *testing.T, damage func(t *testing.T, path string)) {
	dir := t.TempDir()
	st, err := file.Open(dir, file.WithoutSync(), file.WithPollInterval(10*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	ctx := testrig.Context(t)
	owner := testrig.CertRef("default", "gone") // never stored
	var readable, unreadable meta.Ref
	for i, name := range []string{"gone-1", "gone-2"} {
		r := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: name, OwnerRefs: []meta.Ref{owner}},
			Spec: request.Spec{IssuerRef: meta.IssuerRef{Name: "acme"}}}
		require.NoError(t, st.Create(ctx, r))
		if i == 0 {
			readable = meta.RefOf(r)
		} else {
			unreadable = meta.RefOf(r)
		}
	}
	path := filepath.Join(dir, "objects", string(meta.KindCertificateRequest), "default", unreadable.Name+".json")
	damage(t, path)
	var whole request.CertificateRequest
	require.Error(t, json.Unmarshal(readObjectMember(t, path), &whole), "the test's premise: the object does not decode")

	logs := &testrig.Buffer{}
	m, err := New(Config{Store: st, Clock: clock.NewFake(testrig.Epoch), Workers: 2, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	testrig.Run(t, ctx, 10*time.Second, m.Run)

	// Either its visit reports it or the sweep deletes it, and logs so.
	judged := regexp.MustCompile(`msg="(reconcile failed|collected an object whose owners are gone)" kind=CertificateRequest namespace=default name=` + unreadable.Name + `\s`)
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, logs.Await(waitCtx, judged.MatchString), "the unreadable request is judged:\n%s", logs)
	assert.FileExists(t, path, "an unreadable object is never collected")
	assert.Regexp(t, `level=WARN msg="reconcile failed" kind=CertificateRequest namespace=default name=`+unreadable.Name+` .*store: corrupt object: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.\w+`,
		logs.String(), "its visit reports it unreadable")
	testrig.Await(t, ctx, st, "the readable orphan is collected", func() bool { return gone(st, readable) }, nil)
}

// setObjectMember sets member of the metadata of the object stored in the
// file store's file at path to value, as a hand edit or a damaged disk
// would, without the store's knowledge.
func setObjectMember(t *testing.T, path, member string, value any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var record map[string]any
	require.NoError(t, json.Unmarshal(b, &record))
	obj, ok := record["object"].(map[string]any)
	require.True(t, ok, "the file store keeps the object under \"object\": %s", b)
	md, ok := obj["metadata"].(map[string]any)
	require.True(t, ok, "the object has metadata: %s", b)
	md[member] = value
	b, err = json.Marshal(record)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// appendObjectMember writes member (`"key":value`) after the members of
// the object stored in the file store's file at path, as a hand edit
// would: a key it has already is then named twice.
func appendObjectMember(t *testing.T, path, member string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var record map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &record))
	obj := bytes.TrimSpace(record["object"])
	require.True(t, bytes.HasSuffix(obj, []byte("}")), "the file store keeps the object under \"object\": %s", b)
	record["object"] = json.RawMessage(string(obj[:len(obj)-1]) + "," + member + "}")
	b, err = json.Marshal(record)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// readObjectMember returns the object stored in the file store's file at
// path, as the store hands it over.
func readObjectMember(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var record struct {
		Object json.RawMessage `json:"object"`
	}
	require.NoError(t, json.Unmarshal(b, &record))
	return record.Object
}
