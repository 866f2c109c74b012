package measure

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certflow/certflow"
)

// eventsLost reads m's certflow_events_lost_total: the events its reconcilers
// recorded that no Event was stored for, mostly new ones dropped while 4,096
// waited for the writer (docs/events.md). Under a burst of issuance the
// writer falls behind, so the run's "create Event" count is the events
// recorded (five per CA-issued certificate) less these, and varies with how
// far behind it fell.
func eventsLost(m *certflow.Manager) (uint64, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(m.Metrics()); err != nil {
		return 0, err
	}
	families, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, f := range families {
		if f.GetName() == "certflow_events_lost_total" && len(f.GetMetric()) == 1 {
			return uint64(f.GetMetric()[0].GetCounter().GetValue()), nil
		}
	}
	return 0, fmt.Errorf("measure: certflow_events_lost_total not among the Manager's metrics")
}
