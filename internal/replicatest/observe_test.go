package replicatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
)

// The effect report's end says whether the step was refused for a gone
// owner by the error's identity, not its wording.
func TestEffectReporter_OwnerGone(t *testing.T) {
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o"}}
	for name, c := range map[string]struct {
		err  error
		gone bool
	}{
		"gone owner": {fmt.Errorf("reconcile: finalize of %s: %w", meta.RefOf(o), &reconcile.OwnerGoneError{Of: meta.RefOf(o)}), true},
		"other":      {errors.New("owner of it is gone, says the message"), false},
		"none":       {nil, false},
	} {
		var out bytes.Buffer
		done := effectReporter(newReporter(&out))(meta.KindOrder, nil, &reconcile.Plan{Object: o, Effect: &reconcile.Effect{Name: "finalize"}})
		done(time.Time{}, c.err)
		dec := json.NewDecoder(&out)
		var last Report
		for dec.More() {
			require.NoError(t, dec.Decode(&last), name)
		}
		require.Equal(t, PhaseDone, last.Phase, name)
		assert.Equal(t, c.gone, last.OwnerGone, name)
	}
}
