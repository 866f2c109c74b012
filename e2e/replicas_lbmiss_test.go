package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/replicatest/replicasuite"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// challengesUnwatched is a replica's Store whose watch never delivers a
// Challenge's changes: the replica's watch is behind on every challenge,
// for good.
func challengesUnwatched(st store.Store) store.Store {
	return testrig.Unwatched(st, func(ev store.WatchEvent) bool { return ev.Ref.Kind == meta.KindChallenge })
}

// TestReplicas_ValidationsReachReplicasWhoseWatchMissesChallenges: three
// replica processes on one file store, behind a front that sends each
// validation to a replica other than the presenter; no replica ever gets a
// Challenge from its watch (with one that did, which replica presents
// decides whether any validation reaches a blind one: in one run replica 2
// presented every challenge and the front sent each to replica 0). The
// validations are answered from the Store (each replica reads it on a
// miss), so every name is still ordered, validated and issued once.
func TestReplicas_ValidationsReachReplicasWhoseWatchMissesChallenges(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes; skipped in -short mode")
	}
	const perZone = 3
	dir := t.TempDir()
	parent, err := file.Open(dir, file.WithPollInterval(10*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = parent.Close() })
	spec := func(i int) json.RawMessage {
		raw, err := json.Marshal(fileReplica{Dir: dir, NoChallengeEvents: true})
		require.NoError(t, err)
		return raw
	}
	ctx, cancel := context.WithTimeout(context.Background(), replicasuite.Timeout)
	defer cancel()
	var certs []*certificate.Certificate
	certs = append(certs, replicasuite.Certificates("http", perZone, replicasuite.ZoneHTTP01)...)
	certs = append(certs, replicasuite.Certificates("alpn", perZone, replicasuite.ZoneTLSALPN01)...)
	r := replicasuite.Start(t, ctx, replicasuite.Config{Replicas: 3, Store: spec, Parent: parent,
		Objects: replicasuite.Objects(certs)})
	r.AwaitReady(certs)
	r.RequireIssuedOnce(replicasuite.Names(certs))

	validations := r.Front.Validations()
	require.NotEmpty(t, validations)
	for _, v := range validations {
		assert.True(t, v.OK, "validation %+v answered by a replica that never watched a Challenge", v)
	}
	t.Logf("%d validations, each answered by a replica that never watched a Challenge", len(validations))
}
