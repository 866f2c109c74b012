package route53

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrInvalidConfig reports a Route53Config or Provider option that
	// cannot work; retrying without a config change will not help.
	ErrInvalidConfig = errors.New("route53: invalid config")
	// ErrNoHostedZone reports that no public hosted zone's name is a suffix
	// of the record name.
	ErrNoHostedZone = errors.New("route53: no public hosted zone for record name")
)

// ChangeTimeoutError reports that a submitted change was not INSYNC before
// the deadline. The change itself was accepted and will usually complete.
type ChangeTimeoutError struct {
	// ChangeID is Route 53's change ID ("/change/C…").
	ChangeID string
	// Status is the last status GetChange reported (normally PENDING).
	Status string
	// Timeout is how long the Solver waited.
	Timeout time.Duration
}

func (e *ChangeTimeoutError) Error() string {
	return fmt.Sprintf("route53: wait: change %s still %s after %s", e.ChangeID, e.Status, e.Timeout)
}
