package acmetest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/letsencrypt/pebble/v2/acme"
	"github.com/letsencrypt/pebble/v2/core"
)

// orderPathPrefix is Pebble's (unexported) order path.
const orderPathPrefix = "/my-order/"

// NewOrderRecord is one newOrder request the server received, in the order
// received, whether Pebble or a fault answered it.
type NewOrderRecord struct {
	// Identifiers are the values of the identifiers the request asked for, as
	// sent (nil if the body could not be read).
	Identifiers []string
	// Status is the HTTP status of the answer; 0 if the connection was
	// dropped or the client went away.
	Status int
	// OrderID is Pebble's ID of the order created (Status 201), else "".
	OrderID string
	// Profile and Replaces are the request's profile and ARI replaces
	// fields (RFC 9773 §5), as sent; empty if it named none.
	Profile, Replaces string
}

// OrderState is what Pebble holds about one order created through newOrder.
type OrderState struct {
	ID          string
	Identifiers []string
	// Status is the order's status as Pebble computes it (pending, ready,
	// processing, valid, invalid).
	Status         string
	Authorizations []AuthorizationState
	// Certificate is the issued leaf, nil until issued.
	Certificate *x509.Certificate
}

// AuthorizationState is one authorization of an order.
type AuthorizationState struct {
	ID         string
	Identifier string
	// Status is pending, valid, invalid, deactivated, expired or revoked.
	Status string
	// Validating reports that a challenge was accepted and the validation
	// authority has not decided yet.
	Validating bool
}

// NewOrders returns every newOrder request received so far, oldest first.
func (s *Server) NewOrders() []NewOrderRecord {
	s.front.mu.Lock()
	defer s.front.mu.Unlock()
	out := make([]NewOrderRecord, len(s.front.newOrders))
	for i, r := range s.front.newOrders {
		r.Identifiers = append([]string(nil), r.Identifiers...)
		out[i] = r
	}
	return out
}

// Orders returns the current state of every order created so far, in the
// order they were created. It returns nil if the Server is closing or ctx
// ends first.
func (s *Server) Orders(ctx context.Context) []OrderState {
	s.front.mu.Lock()
	var ids []string
	for _, r := range s.front.newOrders {
		if r.OrderID != "" {
			ids = append(ids, r.OrderID)
		}
	}
	s.front.mu.Unlock()
	if s.front.enter(ctx) != nil {
		return nil
	}
	defer s.front.leave()
	out := make([]OrderState, 0, len(ids))
	for _, id := range ids {
		o := s.pebble.db.GetOrderByID(id) // also refreshes o.Status
		if o == nil {
			continue
		}
		o.RLock()
		st := OrderState{ID: id, Status: o.Status}
		for _, ident := range o.Identifiers {
			st.Identifiers = append(st.Identifiers, ident.Value)
		}
		authzs := append([]*core.Authorization(nil), o.AuthorizationObjects...)
		if o.CertificateObject != nil {
			st.Certificate = o.CertificateObject.Cert
		}
		o.RUnlock()
		for _, a := range authzs {
			a.RLock()
			as := AuthorizationState{ID: a.ID, Identifier: a.Identifier.Value, Status: a.Status}
			chals := append([]*core.Challenge(nil), a.Challenges...)
			a.RUnlock()
			for _, c := range chals {
				c.RLock()
				as.Validating = as.Validating || c.Status == acme.StatusProcessing
				c.RUnlock()
			}
			st.Authorizations = append(st.Authorizations, as)
		}
		out = append(out, st)
	}
	return out
}

// validatingPoll is how often AwaitValidations looks at Pebble's orders:
// Pebble's validation authority tells nobody when it is done.
const validatingPoll = time.Millisecond

// AwaitValidations blocks until no challenge of any order is being
// validated (every accepted challenge is valid or invalid), so that a test
// driving its client with a fake clock can move that clock without racing
// Pebble's real-time validation. It returns ctx's error if ctx ends first.
func (s *Server) AwaitValidations(ctx context.Context) error {
	t := time.NewTicker(validatingPoll)
	defer t.Stop()
	for {
		busy := false
		for _, o := range s.Orders(ctx) {
			for _, a := range o.Authorizations {
				busy = busy || a.Validating
			}
		}
		if !busy && ctx.Err() == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing:
			return nil
		case <-t.C:
		}
	}
}

// recordNewOrder reads the identifiers of a newOrder request (restoring its
// body) and returns the index of its record.
func (f *front) recordNewOrder(r *http.Request) int {
	var rec NewOrderRecord
	if body, err := io.ReadAll(io.LimitReader(r.Body, maxBody)); err == nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec = newOrderRequest(body)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.newOrders = append(f.newOrders, rec)
	return len(f.newOrders) - 1
}

// answeredNewOrder records the answer to the newOrder request i.
func (f *front) answeredNewOrder(i, status int, location string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.newOrders[i].Status = status
	if status == http.StatusCreated {
		if k := strings.LastIndex(location, orderPathPrefix); k >= 0 {
			f.newOrders[i].OrderID = location[k+len(orderPathPrefix):]
		}
	}
}

// faultStatus is the HTTP status a fault answers with (0: none, or the
// request is passed on).
func faultStatus(k FaultKind) int {
	switch k {
	case FaultBadNonce, FaultRejectedIdentifier:
		return http.StatusBadRequest
	case FaultRateLimited:
		return http.StatusTooManyRequests
	case FaultServerInternal:
		return http.StatusInternalServerError
	}
	return 0
}

// newOrderRequest decodes the identifiers, profile and replaces from a
// flattened JWS newOrder body; a zero record if it cannot.
func newOrderRequest(body []byte) NewOrderRecord {
	var jws struct {
		Payload string `json:"payload"`
	}
	if json.Unmarshal(body, &jws) != nil {
		return NewOrderRecord{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(jws.Payload)
	if err != nil {
		return NewOrderRecord{}
	}
	var req struct {
		Identifiers []acme.Identifier `json:"identifiers"`
		Profile     string            `json:"profile"`
		Replaces    string            `json:"replaces"`
	}
	if json.Unmarshal(payload, &req) != nil {
		return NewOrderRecord{}
	}
	out := make([]string, 0, len(req.Identifiers))
	for _, id := range req.Identifiers {
		out = append(out, id.Value)
	}
	return NewOrderRecord{Identifiers: out, Profile: req.Profile, Replaces: req.Replaces}
}
