package solver

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loopback serves h on a loopback port until the test ends and returns a
// solver whose checks reach it for any name.
func loopback(t testing.TB, h http.Handler) HTTP01Solver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	port := ln.Addr().(*net.TCPAddr).Port
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(port))
	}
	return HTTP01Solver{Port: port, Dial: dial}
}

func TestHTTP01CheckAsksLikeAClientWould(t *testing.T) {
	type seen struct {
		host  string
		close bool
	}
	got := make(chan seen, 1)
	s := loopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{host: r.Host, close: r.Close}
		_, _ = w.Write([]byte("tok.thumb"))
	}))
	ch := Challenge{Type: HTTP01, Identifier: "a.example.test", Token: "tok", KeyAuthorization: "tok.thumb"}
	require.NoError(t, s.Check(t.Context(), ch))
	r := <-got
	assert.Equal(t, "a.example.test:"+strconv.Itoa(s.Port), r.host, "the name checked, as the URL names it")
	assert.True(t, r.close, "one request per connection")
}

func TestHTTP01CheckFollowsRedirects(t *testing.T) {
	s := loopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/acme-challenge/tok":
			http.Redirect(w, r, "/elsewhere/tok", http.StatusFound)
		case "/elsewhere/tok":
			_, _ = w.Write([]byte("tok.thumb"))
		default:
			http.NotFound(w, r)
		}
	}))
	ch := Challenge{Type: HTTP01, Identifier: "a.example.test", Token: "tok", KeyAuthorization: "tok.thumb"}
	require.NoError(t, s.Check(t.Context(), ch))

	ch.KeyAuthorization = "tok.other"
	err := s.Check(t.Context(), ch)
	require.ErrorIs(t, err, ErrSelfCheck)
	assert.Contains(t, err.Error(), "is not the key authorization", "the redirect's target is what is compared")
}

func TestHTTP01CheckEndsWhenCancelled(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	s := loopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}))
	defer close(release)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		errc <- s.Check(ctx, Challenge{Type: HTTP01, Identifier: "a.example.test", Token: "tok", KeyAuthorization: "tok.thumb"})
	}()
	<-arrived
	cancel()
	err := <-errc // the server still holds the answer: only the cancel ends the check
	require.ErrorIs(t, err, ErrSelfCheck)
	assert.Contains(t, err.Error(), context.Canceled.Error())
}

// BenchmarkHTTP01Check compares the check made on the caller's goroutine
// (direct, what Check does) with the same request through an HTTP client
// with a Transport of its own (client, what it did before, and still does
// to follow a redirect), against a loopback server.
func BenchmarkHTTP01Check(b *testing.B) {
	s := loopback(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("tok.thumb"))
	}))
	url := "http://a.example.test:" + strconv.Itoa(s.Port) + "/.well-known/acme-challenge/tok"
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
			if code, _, err := s.get(context.Background(), req); err != nil || code != http.StatusOK {
				b.Fatal(code, err)
			}
		}
	})
	b.Run("client", func(b *testing.B) {
		for b.Loop() {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
			if code, _, err := s.getFollowing(req); err != nil || code != http.StatusOK {
				b.Fatal(code, err)
			}
		}
	})
}
