package acmepost

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
)

// Client sends signed ACME requests on behalf of x/crypto/acme clients,
// with a pool of nonces per server. The zero value is ready to use and
// safe for concurrent use; keep one per process (or per Manager) so that
// nonces are reused.
type Client struct {
	nonces nonces
	dirs   directories
}

// maxAnswer bounds an answer read from the CA; ACME answers are a few
// kilobytes.
const maxAnswer = 1 << 20

// maxNonceRetries is how often a badNonce answer is retried with the
// fresh nonce it carries (RFC 8555 §6.5).
const maxNonceRetries = 3

// ErrNoAccount means the x/crypto client has no account key ID (KID): it
// must be registered first.
var ErrNoAccount = errors.New("acmepost: client has no account key ID")

// post sends payload to url, signed by cl's account, and returns the
// answer, whose body the caller closes; an answer of 400 or more is
// returned as an *acme.Error instead.
func (c *Client) post(ctx context.Context, cl *acme.Client, url string, payload []byte) (*http.Response, error) {
	if cl.KID == "" {
		return nil, ErrNoAccount
	}
	return c.postAs(ctx, cl, cl.Key, string(cl.KID), url, payload)
}

// postAs is post signed by key for the account kid, or, with an empty kid,
// by key alone with its public JWK in the header (RFC 8555 §6.2).
func (c *Client) postAs(ctx context.Context, cl *acme.Client, key crypto.Signer, kid, url string, payload []byte) (*http.Response, error) {
	dir, err := cl.Discover(ctx)
	if err != nil {
		return nil, err
	}
	nonce := ""
	for attempt := 0; ; attempt++ {
		if nonce == "" {
			if nonce, err = c.nonce(ctx, cl, dir.NonceURL); err != nil {
				return nil, err
			}
		}
		body, err := sign(key, kid, nonce, url, payload)
		if err != nil {
			return nil, err
		}
		res, err := c.send(ctx, cl, http.MethodPost, url, body)
		if err != nil {
			return nil, err
		}
		fresh := res.Header.Get("Replay-Nonce")
		if res.StatusCode < http.StatusBadRequest {
			c.nonces.keep(dir.NonceURL, fresh)
			return res, nil
		}
		aerr := problem(res)
		if aerr.ProblemType != acmeproto.ProblemBadNonce || attempt >= maxNonceRetries {
			c.nonces.keep(dir.NonceURL, fresh)
			return nil, aerr
		}
		nonce = fresh // "" fetches a new one
	}
}

// nonce returns a kept nonce of the server, or asks it for one.
func (c *Client) nonce(ctx context.Context, cl *acme.Client, nonceURL string) (string, error) {
	if v := c.nonces.take(nonceURL); v != "" {
		return v, nil
	}
	res, err := c.send(ctx, cl, http.MethodHead, nonceURL, nil)
	if err != nil {
		return "", err
	}
	_ = res.Body.Close()
	v := res.Header.Get("Replay-Nonce")
	if res.StatusCode >= http.StatusBadRequest || v == "" {
		return "", &acme.Error{StatusCode: res.StatusCode, Detail: "acmepost: newNonce gave no nonce", Header: res.Header}
	}
	return v, nil
}

// send makes one HTTP request through cl's HTTP client.
func (c *Client) send(ctx context.Context, cl *acme.Client, method, url string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("acmepost: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/jose+json")
	}
	if cl.UserAgent != "" {
		req.Header.Set("User-Agent", cl.UserAgent)
	}
	hc := cl.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return hc.Do(req)
}

// wireProblem is an RFC 7807 problem document as ACME sends it.
type wireProblem struct {
	Type        string `json:"type"`
	Detail      string `json:"detail"`
	Instance    string `json:"instance"`
	Subproblems []struct {
		Type       string `json:"type"`
		Detail     string `json:"detail"`
		Instance   string `json:"instance"`
		Identifier *struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"identifier"`
	} `json:"subproblems"`
}

func (w *wireProblem) error(status int, h http.Header) *acme.Error {
	e := &acme.Error{StatusCode: status, ProblemType: w.Type, Detail: w.Detail, Instance: w.Instance, Header: h}
	for _, sp := range w.Subproblems {
		s := acme.Subproblem{Type: sp.Type, Detail: sp.Detail, Instance: sp.Instance}
		if sp.Identifier != nil {
			s.Identifier = &acme.AuthzID{Type: sp.Identifier.Type, Value: sp.Identifier.Value}
		}
		e.Subproblems = append(e.Subproblems, s)
	}
	return e
}

// problem reads a failed answer (and closes it) as an *acme.Error; an
// answer that is no problem document keeps its status and a short detail.
func problem(res *http.Response) *acme.Error {
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	var w wireProblem
	if err := json.Unmarshal(data, &w); err != nil || (w.Type == "" && w.Detail == "") {
		w = wireProblem{Detail: http.StatusText(res.StatusCode)}
	}
	return w.error(res.StatusCode, res.Header)
}
