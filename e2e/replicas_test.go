package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/internal/replicatest/replicasuite"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

const (
	// replicaRunsEnv repeats the whole scenario (fresh CA, fresh store) this
	// many times in a row; unset means once.
	replicaRunsEnv = "CERTFLOW_REPLICA_RUNS"
	// replicasPerZone is how many certificates of each challenge type the
	// replicas issue.
	replicasPerZone = 6
)

// fileReplica is the Store setting of a replica process: the directory of
// the file store every replica shares.
type fileReplica struct {
	Dir string `json:"dir"`
	// NoChallengeEvents makes the replica's watch drop every Challenge
	// event (replicas_lbmiss_test.go).
	NoChallengeEvents bool `json:"noChallengeEvents,omitempty"`
}

// openFileReplica is how a replica process opens the shared file store.
func openFileReplica(_ context.Context, cfg replicatest.ChildConfig) (store.Store, func(), error) {
	var s fileReplica
	if err := json.Unmarshal(cfg.Store, &s); err != nil {
		return nil, nil, err
	}
	st, err := file.Open(s.Dir, file.WithPollInterval(10*time.Millisecond))
	if err != nil {
		return nil, nil, err
	}
	if s.NoChallengeEvents {
		return challengesUnwatched(st), func() { _ = st.Close() }, nil
	}
	return st, func() { _ = st.Close() }, nil
}

// TestReplicas_ThreeProcessesOneFileStore_IssuedOnceServedEverywhere runs
// three Managers in three processes on one file store, all applying the
// same ACME Issuer and Certificates (HTTP-01, TLS-ALPN-01 and DNS-01
// names), and checks replicasuite.IssuedOnce: one order, one finalize and
// one certificate per name at the CA, every validation answered by a
// replica that did not present the challenge, DNS-01 values presented and
// cleaned up once, every certificate served by every replica.
// CERTFLOW_REPLICA_RUNS=20 repeats it 20 times in a row.
func TestReplicas_ThreeProcessesOneFileStore_IssuedOnceServedEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes; skipped in -short mode")
	}
	runs := 1
	if v := os.Getenv(replicaRunsEnv); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "%s=%q", replicaRunsEnv, v)
		runs = n
	}
	passed := 0
	for run := 1; run <= runs; run++ {
		if t.Run(fmt.Sprintf("run%02d", run), func(t *testing.T) {
			dir := t.TempDir()
			parent, err := file.Open(dir, file.WithPollInterval(10*time.Millisecond))
			require.NoError(t, err)
			t.Cleanup(func() { _ = parent.Close() })
			spec, err := json.Marshal(fileReplica{Dir: dir})
			require.NoError(t, err)
			replicasuite.IssuedOnce(t, replicasuite.Config{
				Replicas: 3,
				Store:    func(int) json.RawMessage { return spec },
				Parent:   parent,
			}, replicasPerZone)
		}) {
			passed++
		}
	}
	t.Logf("of %d consecutive runs: %d passed, %d failed", runs, passed, runs-passed)
}

// freshFileStore is an empty file store shared by replicas of one batch.
func freshFileStore(tb testing.TB) (func(int) json.RawMessage, store.Store) {
	dir := tb.TempDir()
	parent, err := file.Open(dir, file.WithPollInterval(10*time.Millisecond))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = parent.Close() })
	spec, err := json.Marshal(fileReplica{Dir: dir})
	require.NoError(tb, err)
	return func(int) json.RawMessage { return spec }, parent
}

// BenchmarkReplicas_FileStore_CABatch compares how long one and three
// replica processes on one file store take to issue a batch of CA-issuer
// certificates (CERTFLOW_REPLICA_BATCH of them, 300 if unset).
func BenchmarkReplicas_FileStore_CABatch(b *testing.B) {
	n := 300
	if v := os.Getenv("CERTFLOW_REPLICA_BATCH"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	replicasuite.CompareBatches(b, freshFileStore, n)
}
