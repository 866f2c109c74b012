package certflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// endingCtx runs end the first time its Err is asked: Get asks it
// between taking a listed object and unpacking it, where a Run's end
// (ctx done: endWhenIdle) may come.
type endingCtx struct {
	context.Context
	once sync.Once
	end  func()
}

func (c *endingCtx) Err() error {
	c.once.Do(c.end)
	return c.Context.Err()
}

// A packed Secret taken from the list just before the list ends (the Run
// stopping) is still answered as the Store holds it: unpacked by the
// packer of the list it was taken from, not handed over packed.
func TestListedGet_APackedObjectTakenAsTheListEndsIsUnpacked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, stored, m, packer := restartedOnSecrets(t, ctx, 2)

	var ref meta.Ref
	for _, s := range stored {
		if _, ok := heldPacked(m, packer, s.Ref); ok {
			ref = s.Ref
			break
		}
	}
	require.NotZero(t, ref, "a Secret held packed")

	want, got := &secret.Secret{}, &secret.Secret{}
	require.NoError(t, raw.Get(ctx, ref, want))
	visit := &endingCtx{Context: m.listed.visit(ctx), end: m.listed.end}
	require.NoError(t, m.listed.Get(visit, ref, got))
	assert.Equal(t, want, got)
	assert.Nil(t, m.listed.packer.Load(), "the list ended meanwhile")
}
