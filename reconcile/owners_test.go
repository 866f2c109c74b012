package reconcile_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// An effect marked ForOwners asks Deps.Owners once its claim is held and
// before Do: an owner gone means the step is not taken, nothing is
// recorded, and Execute's error names the owner (errors.Is ErrOwnerGone,
// errors.As *OwnerGoneError). Standing owners let it run; an effect not
// marked never asks.
func TestExecute_ForOwnersStepIsNotTakenForAGoneOwner(t *testing.T) {
	ctx := context.Background()
	cert := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "web"}
	for _, tc := range []struct {
		name      string
		forOwners bool
		answer    error
		wantAsked bool
		wantRan   bool
	}{
		{"owner gone", true, &reconcile.OwnerGoneError{Owner: cert}, true, false},
		{"owners stand", true, nil, true, true},
		{"cannot tell: not taken, retried", true, errors.New("store down"), true, false},
		{"not marked", false, &reconcile.OwnerGoneError{Owner: cert}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := deps(t, "a")
			obj := object("order")
			obj.ObjectMeta.OwnerRefs = []meta.Ref{cert}
			require.NoError(t, d.Store.Create(ctx, obj))
			claim := &reconcile.Claim{Name: "step", TTL: time.Hour, Busy: time.Second}
			asked := false
			d.Owners = func(ctx context.Context, o meta.Object) error {
				asked = true
				assert.Equal(t, meta.RefOf(obj), meta.RefOf(o))
				// Asked under the claim: another owner cannot take it now.
				_, err := d.Store.Acquire(ctx, claim.Name, "b", time.Hour)
				assert.ErrorIs(t, err, store.ErrLocked, "the claim is held")
				return tc.answer
			}
			ran := false
			_, err := reconcile.Execute(ctx, d, reconcile.Plan{Object: obj, Effect: &reconcile.Effect{
				Name: "finalize", Claim: claim, ForOwners: tc.forOwners,
				Do: func(context.Context) error { ran = true; return nil },
			}})
			assert.Equal(t, tc.wantAsked, asked)
			assert.Equal(t, tc.wantRan, ran)
			switch {
			case tc.wantRan:
				require.NoError(t, err)
			case errors.Is(tc.answer, reconcile.ErrOwnerGone):
				require.ErrorIs(t, err, reconcile.ErrOwnerGone)
				gone, ok := errors.AsType[*reconcile.OwnerGoneError](err)
				require.True(t, ok)
				assert.Equal(t, cert, gone.Owner)
			default:
				require.ErrorIs(t, err, tc.answer)
				assert.NotErrorIs(t, err, reconcile.ErrOwnerGone)
				// Retried: nothing was recorded and the claim was given
				// back, so the next attempt, once the owners can be told
				// to stand, takes the step.
				tc.answer = nil
				_, err = reconcile.Execute(ctx, d, reconcile.Plan{Object: obj, Effect: &reconcile.Effect{
					Name: "finalize", Claim: claim, ForOwners: tc.forOwners,
					Do: func(context.Context) error { ran = true; return nil },
				}})
				require.NoError(t, err)
				assert.True(t, ran, "the retry takes the step")
			}
		})
	}
}

// The error names what is known, once, with no package prefix of its own
// (the step that wraps it has one).
func TestOwnerGoneError_Message(t *testing.T) {
	cert := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "web"}
	order := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "web-1"}
	for _, tc := range []struct {
		err  reconcile.OwnerGoneError
		want string
	}{
		{reconcile.OwnerGoneError{Owner: cert, Of: order}, "owner Certificate/ns/web of Order/ns/web-1 is gone"},
		{reconcile.OwnerGoneError{Owner: cert}, "owner Certificate/ns/web is gone"},
		{reconcile.OwnerGoneError{}, "owner gone"},
	} {
		assert.Equal(t, tc.want, tc.err.Error())
	}
}
