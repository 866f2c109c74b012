package e2e

import (
	"testing"

	"github.com/certflow/certflow/internal/replicatest/replicasuite"
)

// TestReplicas_NoCAStepForACertificateAnotherProcessDeleted: a replica
// process held before newOrder, accept or finalize, its watch held, while
// another replica (this process) deletes the Certificate on the shared
// etcd: let go, it asks the CA nothing and leaves nothing behind
// (replicasuite.NoCAStepForADeletedCertificate).
func TestReplicas_NoCAStepForACertificateAnotherProcessDeleted(t *testing.T) {
	c := newSteadyCluster(t)
	for _, step := range replicasuite.CASteps() {
		t.Run(step.Name, func(t *testing.T) {
			c.prefix = freshPrefix(t)
			replicasuite.NoCAStepForADeletedCertificate(t, replicasuite.Config{Store: c.replica, Parent: c.parent()}, step)
		})
	}
}

// TestReplicas_NoCAStepForARequestAnotherProcessDeleted: the same with the
// Certificate's request deleted, the Certificate kept
// (replicasuite.NoCAStepForADeletedRequest).
func TestReplicas_NoCAStepForARequestAnotherProcessDeleted(t *testing.T) {
	c := newSteadyCluster(t)
	for _, step := range replicasuite.CASteps() {
		t.Run(step.Name, func(t *testing.T) {
			c.prefix = freshPrefix(t)
			replicasuite.NoCAStepForADeletedRequest(t, replicasuite.Config{Store: c.replica, Parent: c.parent()}, step)
		})
	}
}
