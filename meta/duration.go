package meta

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration that reads and writes Go duration strings
// ("2160h"), as Kubernetes' metav1.Duration does in cert-manager manifests.
type Duration struct {
	time.Duration
}

// MarshalJSON writes the duration as a string such as "2160h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string like \"2160h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	d.Duration = v
	return nil
}
