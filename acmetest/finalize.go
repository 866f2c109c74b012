package acmetest

import (
	"context"
	"time"
)

const (
	// finalizePathPrefix is Pebble's (unexported) finalize path.
	finalizePathPrefix = "/finalize-order/"
	// finalizeWait bounds how long a finalize answer is held back.
	finalizeWait = 5 * time.Second
	// finalizePoll is how often the order is checked meanwhile.
	finalizePoll = time.Millisecond
)

// awaitIssued waits until Pebble's background issuance for the order has
// stored the certificate, finalizeWait has passed, the client has gone or
// the Server closes.
func (f *front) awaitIssued(ctx context.Context, orderID string) {
	ctx, cancel := context.WithTimeout(ctx, finalizeWait)
	defer cancel()
	t := time.NewTicker(finalizePoll)
	defer t.Stop()
	for !f.issued(ctx, orderID) {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		case <-f.closing:
			return
		}
	}
}

// issued reports whether the order has its certificate. It looks the order
// up as Pebble's order handler does, inside the serial slot.
func (f *front) issued(ctx context.Context, orderID string) bool {
	if !f.enter(ctx) {
		return false
	}
	defer f.leave()
	order := f.pebble.db.GetOrderByID(orderID)
	if order == nil {
		return true // nothing to wait for
	}
	order.RLock()
	defer order.RUnlock()
	return order.CertificateObject != nil
}
