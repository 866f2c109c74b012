package replicatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/certflow/certflow/meta"
)

// Control lets the parent hold a replica at chosen points and let it go,
// deterministically: the replica's watch (HoldWatch, ReleaseWatch) and its
// claims (HoldClaims, OpenClaims). It is how a test gives one replica a
// stale view of the Store while another changes it, across processes, with
// no sleeps: each command returns once the replica acknowledged it, so what
// the test does next happens after the hold is in effect.
type Control struct {
	// HoldClaims lists the claims held from the replica's start: a claim
	// whose name matches one of them waits, before it is taken, until the
	// parent opens the claims (Cluster.OpenClaims). The first arrival of
	// each claim name is reported (ReportClaimHeld). If empty, no claim is
	// held.
	HoldClaims []ClaimPattern `json:"holdClaims,omitempty"`
}

// ClaimPattern matches the names of Store claims (Locker.Acquire) that
// start with Prefix and end with Suffix; empty parts match anything.
type ClaimPattern struct {
	Prefix string `json:"prefix,omitempty"`
	Suffix string `json:"suffix,omitempty"`
}

// Match reports whether the claim name matches p.
func (p ClaimPattern) Match(name string) bool {
	return strings.HasPrefix(name, p.Prefix) && strings.HasSuffix(name, p.Suffix)
}

// controlOp is a command the parent sends a controlled replica.
type controlOp string

const (
	// opHoldWatch: no watch event is delivered to the Manager from the
	// acknowledgement on, until opReleaseWatch.
	opHoldWatch controlOp = "holdWatch"
	// opReleaseWatch delivers what was held, and everything after it.
	opReleaseWatch controlOp = "releaseWatch"
	// opOpenClaims lets every held claim be taken, and holds no more.
	opOpenClaims controlOp = "openClaims"
)

// command is one line the parent writes to a replica's stdin.
type command struct {
	Seq int64     `json:"seq"`
	Op  controlOp `json:"op"`
}

// ErrNotControlled is what a command to a replica started without a
// Control returns.
var ErrNotControlled = errors.New("replicatest: replica not controlled")

// HoldWatch holds replica i's watch: once it returns, no change of the
// Store reaches the replica's Manager through its watch until ReleaseWatch.
// A change in delivery when the hold began may still arrive; any change
// made after HoldWatch returned is held.
func (c *Cluster) HoldWatch(ctx context.Context, i int) error { return c.control(ctx, i, opHoldWatch) }

// ReleaseWatch lets replica i's watch deliver what it held and what comes
// after.
func (c *Cluster) ReleaseWatch(ctx context.Context, i int) error {
	return c.control(ctx, i, opReleaseWatch)
}

// OpenClaims lets replica i take the claims its Control holds, those
// waiting now and any later.
func (c *Cluster) OpenClaims(ctx context.Context, i int) error {
	return c.control(ctx, i, opOpenClaims)
}

// AwaitClaimHeld blocks until replica i reports a claim held by its
// Control, and returns the claim's name.
func (c *Cluster) AwaitClaimHeld(ctx context.Context, i int) (string, error) {
	var name string
	err := c.Await(ctx, func(events []Event) bool {
		for _, e := range events {
			if e.Replica == i && e.Type == ReportClaimHeld {
				name = e.Claim
				return true
			}
		}
		return false
	})
	return name, err
}

// AwaitWatchHeld blocks until replica i reports that its held watch holds
// a change of kind change (store.Deleted, …) of ref: the replica would
// have learned of it, and has not.
func (c *Cluster) AwaitWatchHeld(ctx context.Context, i int, ref meta.Ref, change string) error {
	return c.Await(ctx, func(events []Event) bool {
		for _, e := range events {
			if e.Replica == i && e.Type == ReportWatchHeld && e.Ref == ref && e.Change == change {
				return true
			}
		}
		return false
	})
}

// control sends op to replica i and waits for its acknowledgement.
func (c *Cluster) control(ctx context.Context, i int, op controlOp) error {
	r := c.Replica(i)
	seq := c.seq.Add(1)
	line, err := json.Marshal(command{Seq: seq, Op: op})
	if err != nil {
		return err
	}
	if err := r.send(append(line, '\n')); err != nil {
		return fmt.Errorf("replicatest: %s to replica %d: %w", op, i, err)
	}
	var ack *Event
	exited := false
	err = c.Await(ctx, func(events []Event) bool {
		for k := len(events) - 1; k >= 0; k-- {
			if e := events[k]; e.Replica == i && e.Type == ReportAck && e.Seq == seq {
				ack = &e
				return true
			}
		}
		select {
		case <-r.exited:
			exited = true
			return true
		default:
			return false
		}
	})
	switch {
	case err != nil:
		return fmt.Errorf("replicatest: %s to replica %d: %w", op, i, err)
	case ack == nil && exited:
		return fmt.Errorf("replicatest: %s to replica %d: it exited: %v", op, i, r.err)
	case ack.Err == ErrNotControlled.Error():
		return fmt.Errorf("replicatest: %s to replica %d: %w", op, i, ErrNotControlled)
	case ack.Err != "":
		return fmt.Errorf("replicatest: %s to replica %d: %s", op, i, ack.Err)
	}
	return nil
}
