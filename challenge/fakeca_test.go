package challenge_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/issuer"
)

// fakeCA is just enough of an ACME server for one authorization with one
// challenge: it counts accepts (POSTs with a payload to the challenge) and
// answers authorization reads with the state it is in.
type fakeCA struct {
	srv *httptest.Server

	mu          sync.Mutex
	accepts     int
	reads       int
	challenge   string // the challenge's status
	authz       string // the authorization's status
	acceptFails *acme.Error
	// validAfterReads makes the authorization valid once it was read this
	// often after the accept.
	validAfterReads int
	// onAccept, if set, is called as each accept arrives, before it is
	// answered; onRead likewise for each authorization read. Both are
	// called with mu held.
	onAccept, onRead func()
	// acceptRetryAfter and authzRetryAfter, if set, are the Retry-After
	// of the answers to accepts and to authorization reads.
	acceptRetryAfter, authzRetryAfter string
	// validAfter, if set, makes the authorization valid this long after
	// the accept, by now (a fake clock's): a CA that takes its time.
	validAfter time.Duration
	now        func() time.Time
	validAt    time.Time
}

func newFakeCA(t *testing.T) *fakeCA {
	t.Helper()
	ca := &fakeCA{challenge: acme.StatusPending, authz: acme.StatusPending}
	mux := http.NewServeMux()
	mux.HandleFunc("/dir", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"newNonce": ca.url("/nonce"), "newAccount": ca.url("/acct"), "newOrder": ca.url("/order")})
	})
	mux.HandleFunc("/nonce", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Replay-Nonce", rand.Text()) })
	mux.HandleFunc("/chal/1", ca.serveChallenge)
	mux.HandleFunc("/authz/1", ca.serveAuthz)
	ca.srv = httptest.NewServer(mux)
	t.Cleanup(ca.srv.Close)
	return ca
}

func (ca *fakeCA) url(p string) string { return ca.srv.URL + p }

func (ca *fakeCA) serveChallenge(w http.ResponseWriter, r *http.Request) {
	var jws struct {
		Payload string `json:"payload"`
	}
	_ = json.NewDecoder(r.Body).Decode(&jws)
	w.Header().Set("Replay-Nonce", rand.Text())
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if jws.Payload != "" {
		ca.accepts++
		if ca.onAccept != nil {
			ca.onAccept()
		}
		if e := ca.acceptFails; e != nil {
			for k, v := range e.Header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(e.StatusCode)
			_ = json.NewEncoder(w).Encode(map[string]any{"type": e.ProblemType, "detail": e.Detail})
			return
		}
		if ca.challenge == acme.StatusPending {
			ca.challenge = acme.StatusProcessing
			if ca.validAfter > 0 {
				ca.validAt = ca.now().Add(ca.validAfter)
			}
		}
		if ca.acceptRetryAfter != "" {
			w.Header().Set("Retry-After", ca.acceptRetryAfter)
		}
	}
	_ = json.NewEncoder(w).Encode(ca.challengeJSON())
}

func (ca *fakeCA) challengeJSON() map[string]any {
	return map[string]any{"type": "http-01", "url": ca.url("/chal/1"), "status": ca.challenge, "token": "tok"}
}

func (ca *fakeCA) serveAuthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Replay-Nonce", rand.Text())
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.reads++
	if ca.onRead != nil {
		ca.onRead()
	}
	if ca.authzRetryAfter != "" {
		w.Header().Set("Retry-After", ca.authzRetryAfter)
	}
	if ca.challenge == acme.StatusProcessing && !ca.validAt.IsZero() && !ca.now().Before(ca.validAt) {
		ca.challenge, ca.authz = acme.StatusValid, acme.StatusValid
	}
	if ca.challenge == acme.StatusProcessing && ca.validAfterReads > 0 {
		ca.validAfterReads--
		if ca.validAfterReads == 0 {
			ca.challenge, ca.authz = acme.StatusValid, acme.StatusValid
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status":     ca.authz,
		"identifier": map[string]string{"type": "dns", "value": "a.example.test"},
		"challenges": []any{ca.challengeJSON()},
	})
}

func (ca *fakeCA) counts() (accepts, reads int) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.accepts, ca.reads
}

// Client implements challenge.ClientSource with a registered account.
func (ca *fakeCA) Client(context.Context, issuer.Object) (*acme.Client, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &acme.Client{Key: key, KID: acme.KeyID(ca.url("/acct/1")), DirectoryURL: ca.url("/dir"),
		HTTPClient: ca.srv.Client(), RetryBackoff: func(int, *http.Request, *http.Response) time.Duration { return -1 }}, nil
}
