package certflow

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// A resync's list keeps no bytes of the Events and CertificateRequests it
// read as they were handed over (the most of a restart's list), and keeps
// those of the kinds its consumers read afterwards.
func TestResyncListDropsTheBytesNoConsumerReads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, _, _ := issuedRig(t, ctx, 2)
	m, err := New(Config{Store: raw})
	require.NoError(t, err)
	l, rev, err := m.scanStore(ctx)
	require.NoError(t, err)
	require.NotZero(t, rev)
	seen := map[meta.Kind]int{}
	for _, item := range l.items {
		seen[item.Ref.Kind]++
		switch item.Ref.Kind {
		case meta.KindEvent, meta.KindCertificateRequest:
			assert.Nil(t, item.Data, "%s: read as handed over, its bytes dropped", item.Ref)
		case meta.KindCertificate, meta.KindSecret:
			assert.NotEmpty(t, item.Data, "%s: read after the list", item.Ref)
		}
		assert.NotEmpty(t, item.ResourceVersion, "%s", item.Ref)
	}
	for _, k := range []meta.Kind{meta.KindEvent, meta.KindCertificateRequest, meta.KindCertificate, meta.KindSecret} {
		assert.Positive(t, seen[k], "the rig holds %s objects", k)
	}
}
