package order

import (
	"context"
	"time"
)

// finalizeAgainNow reports whether a finalize on record that the CA shows
// did not take (apply found the order still ready, nothing refused, no
// wait asked) is made again at once, in the visit that read the order. The
// intent still stored (Finalizing, never cleared in the Store) covers the
// new POST, and the finalize claim this look was taken under is held: so
// the order is not written to clear the intent, only to write it again
// before the POST (two writes and a visit). It is not when the owner
// chain no longer stands (the check a fresh finalize makes), or when the
// claim's time left could not cover a finalize; then the intent is
// cleared, as it was, and the next visit decides.
func (r *Reconciler) finalizeAgainNow(ctx context.Context, v *visit) bool {
	st := &v.o.Status
	if st.State != StateReady || st.Finalizing || st.Problem != nil || st.NotBefore != nil {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < r.finalizeWork() {
		return false
	}
	if r.deps.Owners != nil && r.deps.Owners(ctx, v.o) != nil {
		return false
	}
	st.Finalizing = true
	return true
}
