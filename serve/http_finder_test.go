package serve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// finderMap is a TokenFinder that records what it was asked for.
type finderMap struct {
	tokenMap
	found tokenMap
	asked [][2]string // host, token
}

func (f *finderMap) FindKeyAuthorization(_ context.Context, host, token string) (string, string, bool) {
	f.asked = append(f.asked, [2]string{host, token})
	v, ok := f.found[token]
	return v[0], v[1], ok
}

// A TokenFinder is asked for well-formed tokens its KeyAuthorization
// misses, with the request's Host as sent but without port or brackets
// (so it can decline to look for hosts it is not validated for).
func TestHTTPHandlerAsksTheFinderWithTheHost(t *testing.T) {
	const other = "OTHEROTHEROTHEROTHEROTHER"
	f := &finderMap{tokenMap: tokenMap{testToken: {keyAuth, "a.example"}},
		found: tokenMap{other: {other + ".t", "b.example"}}}
	h := HTTPHandler(f, nil)
	get := func(token, host string) int {
		req := httptest.NewRequest(http.MethodGet, "http://x/.well-known/acme-challenge/"+token, nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	assert.Equal(t, http.StatusOK, get(testToken, "a.example"))
	assert.Empty(t, f.asked, "a hit asks nothing")
	assert.Equal(t, http.StatusOK, get(other, "B.Example.:8080"))
	assert.Equal(t, http.StatusNotFound, get(other, "[2001:db8::1]:80"), "found, but for another host")
	assert.Equal(t, http.StatusBadRequest, get("bad", "b.example"))
	assert.Equal(t, [][2]string{{"B.Example.", other}, {"2001:db8::1", other}}, f.asked)
}
