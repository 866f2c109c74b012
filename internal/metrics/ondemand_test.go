package metrics

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOnDemandHandshakes_CountByResult(t *testing.T) {
	r := newRig(t)
	r.m.OnDemandHandshake(OnDemandDenied)
	r.m.OnDemandHandshake(OnDemandDenied)
	r.m.OnDemandHandshake(OnDemandIssued)
	assert.Equal(t, map[string]float64{`{result="denied"}`: 2, `{result="issued"}`: 1},
		gather(t, r.m)["certflow_ondemand_handshakes_total"].samples)
}
