package memory

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// A missing object's error is what fmt.Errorf made before notFound: the
// same message, wrapping store.ErrNotFound, for Get and GetMeta, with
// and without a namespace; and making it formats nothing (no allocation
// but the error itself).
func TestNotFound_IsWhatErrorfMade(t *testing.T) {
	ctx := context.Background()
	s := New()
	for _, ref := range []meta.Ref{
		{Kind: meta.KindCertificate, Namespace: "ns", Name: "gone"},
		{Kind: meta.KindClusterIssuer, Name: "gone"},
	} {
		want := fmt.Errorf("memory: get %s: %w", ref, store.ErrNotFound).Error()
		err := s.Get(ctx, ref, &certificate.Certificate{})
		if !errors.Is(err, store.ErrNotFound) || err.Error() != want {
			t.Errorf("Get(%v) = %v, want %q wrapping ErrNotFound", ref, err, want)
		}
		_, err = s.GetMeta(ctx, ref, nil)
		if !errors.Is(err, store.ErrNotFound) || err.Error() != want {
			t.Errorf("GetMeta(%v) = %v, want %q wrapping ErrNotFound", ref, err, want)
		}
	}
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "gone"}
	into := &certificate.Certificate{}
	if n := testing.AllocsPerRun(100, func() { _ = s.Get(ctx, ref, into) }); n > 1 {
		t.Errorf("a missing Get allocates %v times, want at most 1", n)
	}
}
