package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certflow/certflow/internal/replicatest"
)

// logTail is how many of its last log lines each replica shows on failure.
const logTail = 20

// keepEvidence writes, for a run that failed, every replica's log and every
// report the replicas sent into dir, which is then kept, and prints the
// tail of each log and where the rest is: a failure seen once in CI must be
// explainable from its output alone.
func keepEvidence(dir string, cluster *replicatest.Cluster, front *replicatest.Front) {
	for _, r := range cluster.Replicas() {
		log := r.Stderr.String()
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("replica-%d.log", r.Index)), []byte(log), 0o600)
		lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
		fmt.Fprintf(os.Stderr, "--- replica %d, last %d log lines:\n%s\n", r.Index, logTail,
			strings.Join(lines[max(0, len(lines)-logTail):], "\n"))
	}
	if f, err := os.OpenFile(filepath.Join(dir, "reports.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
		enc := json.NewEncoder(f)
		for _, e := range cluster.Events() {
			_ = enc.Encode(e)
		}
		_ = f.Close()
	}
	if f, err := os.OpenFile(filepath.Join(dir, "validations.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
		enc := json.NewEncoder(f)
		for _, v := range front.Validations() {
			_ = enc.Encode(v)
		}
		_ = f.Close()
	}
	fmt.Fprintf(os.Stderr, "--- the replicas' logs, their reports and the validations are kept in %s\n", dir)
}
