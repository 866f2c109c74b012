package issuer

import (
	"context"
	"io"
	"net/http"
	"time"
)

// timedClient is an http.Client over rt with base's settings, base.Timeout
// enforced as a deadline on each request's context (timeoutTransport)
// instead of by the Client. rt is the ACME stack (nonce pool, account gate,
// WrapTransport) around the Transport, which net/http does not know: for
// such a RoundTripper a Client.Timeout costs two goroutines, two channels
// and a timer per request (setRequestCancel's watcher and the Transport's
// awaitLegacyCancel for the Request.Cancel it sets), each woken once per
// request; a context deadline costs one timer and wakes nothing. The
// timeout then bounds each request of a redirect chain rather than the
// chain (an ACME CA does not redirect).
func timedClient(rt http.RoundTripper, base *http.Client) *http.Client {
	if base.Timeout > 0 {
		rt = timeoutTransport{next: rt, timeout: base.Timeout}
	}
	return &http.Client{Transport: rt, CheckRedirect: base.CheckRedirect, Jar: base.Jar}
}

// timeoutTransport gives a request at most timeout, reading its response
// body included, unless its context ends sooner anyway.
type timeoutTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	deadline := time.Now().Add(t.timeout) // wall clock: a network deadline, as http.Client.Timeout's is, whatever the Manager's Clock
	if d, ok := req.Context().Deadline(); ok && !d.After(deadline) {
		return t.next.RoundTrip(req)
	}
	ctx, cancel := context.WithDeadline(req.Context(), deadline)
	res, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	res.Body = &cancelAtEOF{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

// cancelAtEOF releases its request's deadline once the body is read to
// its end or closed, as a Client.Timeout's timer is stopped.
type cancelAtEOF struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.cancel()
	}
	return n, err
}

func (b *cancelAtEOF) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
