package acmetest

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"strings"
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

// issued reports whether the order has its certificate and, when it
// replaces one (RFC 9773), Pebble's background issuance has marked the
// replaced order: Pebble v2.10.3 writes that mark after storing the
// certificate and reads it at newOrder without the order's lock, so a
// client's next newOrder must not overtake it. It looks the orders up as
// Pebble's handlers do, inside the serial slot.
func (f *front) issued(ctx context.Context, orderID string) bool {
	if f.enter(ctx) != nil {
		return false
	}
	defer f.leave()
	order := f.pebble.db.GetOrderByID(orderID)
	if order == nil {
		return true // nothing to wait for
	}
	order.RLock()
	done, replaces := order.CertificateObject != nil, order.Replaces
	order.RUnlock()
	if !done || replaces == "" {
		return done
	}
	serial, ok := certIDSerialHex(replaces)
	if !ok {
		return true // Pebble refused it at newOrder; nothing is marked
	}
	old, err := f.pebble.db.GetOrderByIssuedSerial(serial)
	if err != nil {
		return true
	}
	old.RLock()
	defer old.RUnlock()
	return old.IsReplaced
}

// certIDSerialHex returns the serial of an ARI CertID as Pebble keys its
// orders by issued serial.
func certIDSerialHex(certID string) (string, bool) {
	_, s, ok := strings.Cut(certID, ".")
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", false
	}
	return hex.EncodeToString(new(big.Int).SetBytes(b).Bytes()), true
}
