package acmetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// problem is an RFC 7807 problem document as RFC 8555 §6.7 uses it.
type problem struct {
	Type   string `json:"type"`
	Detail string `json:"detail"`
	Status int    `json:"status"`
}

const acmeErrorNS = "urn:ietf:params:acme:error:"

// inject answers r according to fault. It returns true when the request must
// still go to Pebble (FaultDelay after its wait).
func (f *front) inject(fault Fault, w http.ResponseWriter, r *http.Request) (passOn bool) {
	switch fault.Kind {
	case FaultDelay:
		return f.delay(fault.Delay, w, r)
	case FaultDropConnection:
		dropConnection(w)
		return false
	case FaultBadNonce:
		f.writeProblem(w, r, http.StatusBadRequest, "badNonce", "acmetest: injected badNonce")
	case FaultRateLimited:
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(fault.RetryAfter), 10))
		f.writeProblem(w, r, http.StatusTooManyRequests, "rateLimited", "acmetest: injected rateLimited")
	case FaultServerInternal:
		f.writeProblem(w, r, http.StatusInternalServerError, "serverInternal", "acmetest: injected serverInternal")
	case FaultRejectedIdentifier:
		f.writeProblem(w, r, http.StatusBadRequest, "rejectedIdentifier", "acmetest: injected rejectedIdentifier")
	}
	return false
}

// delay waits d, or less if the client goes away or the Server closes. It
// reports whether the request should still be passed on.
func (f *front) delay(d time.Duration, w http.ResponseWriter, r *http.Request) bool {
	// net/http notices a client that goes away only once the request's
	// body has been read: read it first (and keep it for Pebble), or a
	// held POST whose client died would still be passed on.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return false // the client went away while sending
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-f.closing:
		f.writeProblem(w, r, http.StatusServiceUnavailable, "serverInternal", "acmetest: server closing")
		return false
	}
}

// writeProblem writes a problem document with a fresh nonce, as Pebble does
// for its own errors, so that clients can retry at once.
func (f *front) writeProblem(w http.ResponseWriter, r *http.Request, status int, typ, detail string) {
	if nonce := f.freshNonce(r.Context()); nonce != "" {
		w.Header().Set("Replay-Nonce", nonce)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "public, max-age=0, no-cache")
	body, _ := json.Marshal(problem{Type: acmeErrorNS + typ, Detail: detail, Status: status})
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%s\n", body)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 (or a wrapped writer): aborting the handler resets the stream
	// and is not logged by net/http.
	panic(http.ErrAbortHandler)
}
