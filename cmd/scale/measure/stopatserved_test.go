package measure_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/cmd/scale/measure"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// With StopAtServed, a restart ends once every name is served: it still
// reports the time, CPU and writes until then, and measures nothing after
// (no work until quiet, no Ready count, no idle window), saying so rather
// than printing zeros.
func TestRunStopAtServed(t *testing.T) {
	const n = 20
	dir := t.TempDir()
	open := func() (store.Store, func() error, error) {
		st, err := file.Open(dir, file.WithoutSync())
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := measure.Options{Certs: n, Open: open, Idle: 100 * time.Millisecond, Quiet: 100 * time.Millisecond, ReadyTimeout: time.Minute}
	_, err := measure.Run(ctx, base)
	require.NoError(t, err, "populating the store")

	opts := base
	opts.RestartOnly, opts.StopAtServed = true, true
	rep, err := measure.Run(ctx, opts)
	require.NoError(t, err)
	require.NotNil(t, rep.Restart)
	assert.True(t, rep.Restart.Stopped)
	assert.Zero(t, rep.Restart.Unserved)
	assert.Positive(t, rep.Restart.Served)
	assert.Positive(t, rep.Restart.Calls.Of(storecount.List), "the Store calls until served are counted")
	assert.Zero(t, rep.Restart.After, "work after serving was measured")
	assert.Zero(t, rep.Restart.ReadyInStore, "the Store was read after serving")
	assert.Nil(t, rep.RestartIdle, "an idle window after the restart was measured")

	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"restart: every name served after", "restart: process CPU until served",
		"not measured (-stop-at-served)", "restart: writes until every name served", "restart: peak RSS until every name served"} {
		assert.Contains(t, out.String(), want)
	}
	assert.NotContains(t, out.String(), "restart: Ready Certificates in the Store")
}
