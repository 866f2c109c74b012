package metrics

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInvalidServingKeys_Counted(t *testing.T) {
	r := newRig(t)
	assert.Equal(t, map[string]float64{`{}`: 0}, gather(t, r.m)["certflow_serving_invalid_keys_total"].samples,
		"reported from the start")
	r.m.InvalidServingKey()
	r.m.InvalidServingKey()
	assert.Equal(t, map[string]float64{`{}`: 2}, gather(t, r.m)["certflow_serving_invalid_keys_total"].samples)
}
