package issuer

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// A Manager with more issuers than the memo holds (an Issuer a namespace)
// keeps memoSize of them: a new one takes the room of one, where starting
// again empty made most reads a metadata read and a decode.
func TestMemo_FullMemoMakesRoomForOne(t *testing.T) {
	st := memory.New()
	ctx := context.Background()
	const n = memoSize + 44
	refs := make([]meta.Ref, n)
	for i := range refs {
		iss := &Issuer{ObjectMeta: meta.ObjectMeta{Namespace: fmt.Sprint("tenant-", i), Name: "ca"},
			Spec: Spec{SelfSigned: &SelfSignedIssuer{}}}
		require.NoError(t, st.Create(ctx, iss))
		refs[i] = meta.RefOf(iss)
	}
	counted, m := storecount.New(st), &Memo{}
	for _, ref := range refs {
		_, err := m.Get(ctx, counted, ref)
		require.NoError(t, err)
	}
	require.Equal(t, memoSize, len(m.m), "issuers held after reading %d", n)
	require.Equal(t, int64(n), counted.Counts().Of(storecount.Get))
}
