// Package e2e runs certflow replicas as separate processes on one etcd:
// the replica scenario every shared Store runs (replicasuite.IssuedOnce),
// the 1-versus-3 replica batch benchmark, and the faults a cluster on etcd
// must survive — a replica SIGKILLed mid-issuance, etcd down for ten
// seconds, a replica whose watch is compacted away, a replica cut off from
// etcd. Tests only.
package e2e
