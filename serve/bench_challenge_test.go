package serve

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/certflow/certflow/solver"
)

// BenchmarkPutChallengeAgain re-puts a served challenge at a new version
// with the same answer, beside three other pending ones: what the Manager
// does at each status change of an issuance's Challenge.
func BenchmarkPutChallengeAgain(b *testing.B) {
	c := NewCache(Options{})
	for i := range 3 {
		o := newChallenge("other"+strconv.Itoa(i), solver.HTTP01, "b.example", testToken+".other")
		o.Spec.Token = testToken[:30] + strconv.Itoa(i)
		if err := c.PutChallenge(atVersion(o, "1")); err != nil {
			b.Fatal(err)
		}
	}
	ch := newChallenge("served", solver.HTTP01, "a.example", testToken+".served")
	versions := make([]string, 1<<16)
	for i := range versions {
		versions[i] = strconv.Itoa(10 + i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(versions) {
			b.StopTimer()
			c = NewCache(Options{})
			i = 0
			b.StartTimer()
		}
		ch.ObjectMeta.ResourceVersion = versions[i]
		i++
		if err := c.PutChallenge(ch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTTPAnswer answers one HTTP-01 validation (a CA's perspective
// or the self-check) through HTTPHandler, Host on port 80.
func BenchmarkHTTPAnswer(b *testing.B) {
	h := HTTPHandler(tokenMap{testToken: {keyAuth, "a.example"}}, nil)
	r := httptest.NewRequest(http.MethodGet, "/.well-known/acme-challenge/"+testToken, nil)
	r.Host = "a.example"
	w := &headerWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}
