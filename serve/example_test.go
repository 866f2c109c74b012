package serve_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/serve"
	"github.com/certflow/certflow/solver"
)

// A Cache fed with an HTTP-01 Challenge answers the CA's validation request
// through HTTPHandler; every other request reaches the fallback.
func ExampleHTTPHandler() {
	cache := serve.NewCache(serve.Options{})
	err := cache.PutChallenge(&challenge.Challenge{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "www-1-2"},
		Spec: challenge.Spec{
			Type:    solver.HTTP01,
			DNSName: "www.example.com",
			Token:   "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0",
			Key:     "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI",
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := serve.HTTPHandler(cache, http.NotFoundHandler())

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://www.example.com/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", nil)
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://www.example.com/", nil))
	fmt.Println(rec.Code)
	// Output:
	// 200 LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI
	// 404
}

// TLSConfig serves the Cache's certificates; a server built on it answers
// TLS-ALPN-01 validation too.
func ExampleCache_TLSConfig() {
	cache := serve.NewCache(serve.Options{DefaultName: "www.example.com"})
	cfg := cache.TLSConfig()
	fmt.Println(cfg.NextProtos)
	// Output: [h2 http/1.1 acme-tls/1]
}
