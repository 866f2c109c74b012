package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// headerWriter is a ResponseWriter that reuses its header map and keeps
// nothing written, so what a handler allocates is its own.
type headerWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) WriteHeader(code int)        { w.code = code }
func (w *headerWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// WriteString is net/http's: io.WriteString then copies nothing.
func (w *headerWriter) WriteString(s string) (int, error) { w.n += len(s); return len(s), nil }

// Each HTTP-01 validation of an issuance (three perspectives of the CA and
// the self-check) is answered by the handler: one allocation, for the
// Content-Length value.
func TestHTTPHandler_AllocationsPerAnswer(t *testing.T) {
	h := HTTPHandler(tokenMap{testToken: {keyAuth, "a.example"}}, nil)
	r := httptest.NewRequest(http.MethodGet, "/.well-known/acme-challenge/"+testToken, nil)
	r.Host = "a.example"
	w := &headerWriter{h: http.Header{}}
	allocs := testing.AllocsPerRun(100, func() {
		clear(w.h)
		w.code, w.n = 0, 0
		h.ServeHTTP(w, r)
	})
	assert.Equal(t, http.StatusOK, w.code)
	assert.Equal(t, len(keyAuth), w.n)
	assert.Equal(t, "text/plain", w.h.Get("Content-Type"))
	assert.LessOrEqual(t, allocs, 1.0, "allocations per answer")
}
