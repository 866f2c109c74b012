package solver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// selfCheckTimeout bounds one self-check's connection, request and answer.
const selfCheckTimeout = 10 * time.Second

// selfCheckBodyLimit is as much of an answer's body as a self-check reads:
// a key authorization is under 100 bytes.
const selfCheckBodyLimit = 4096

// selfCheckAnswerLimit bounds the bytes a self-check reads from its
// connection: status line, headers and body. net/http's ReadResponse
// itself bounds neither a line nor the headers (an http.Transport stops at
// MaxResponseHeaderBytes), so an answer that never ends its headers would
// otherwise be held in memory for as long as the deadline lets it flow.
const selfCheckAnswerLimit = 64 << 10

// errRedirected is get's answer to a redirect, which it does not follow.
var errRedirected = errors.New("redirected")

// errAnswerTooLarge is get's answer to more than selfCheckAnswerLimit
// bytes before the end of the headers and the body read.
var errAnswerTooLarge = errors.New("answer larger than 64 KiB")

// get makes req over a connection of its own and reads the answer on the
// calling goroutine. An http.Transport would do the same over two
// goroutines of its own per connection and hand the answer over between
// them, and the self-check is on every HTTP-01 issuance's path. A redirect
// is not followed here: it answers errRedirected. Dial, request and answer
// together take at most selfCheckTimeout, and read at most
// selfCheckAnswerLimit bytes.
func (h HTTP01Solver) get(ctx context.Context, req *http.Request) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, selfCheckTimeout)
	defer cancel()
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	conn, err := h.dial()(ctx, "tcp", addr)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return 0, nil, err
	}
	// Cancelling ctx ends a read or write under way at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req.Close = true // one request on the connection, as the CA makes
	// Written to a buffer of the request's size, then in one Write:
	// written to conn, net/http would wrap it in a 4 KiB bufio.Writer
	// for a request of about 150 bytes, at every self-check.
	var out bytes.Buffer
	out.Grow(requestSizeHint + len(req.Host) + len(req.URL.Host) + len(req.URL.Path))
	if err := req.Write(&out); err != nil {
		return 0, nil, err
	}
	if _, err := conn.Write(out.Bytes()); err != nil {
		return 0, nil, canceledOr(ctx, err)
	}
	in := &cappedReader{r: conn, left: selfCheckAnswerLimit}
	br := bufio.NewReaderSize(in, 1024)
	res, err := http.ReadResponse(br, req)
	// An interim answer (100 Continue, 103 Early Hints) comes before the
	// answer, which the CA's HTTP client reads as http.Transport does.
	for err == nil && res.StatusCode/100 == 1 && res.StatusCode != http.StatusSwitchingProtocols {
		res, err = http.ReadResponse(br, req)
	}
	if err != nil {
		return 0, nil, canceledOr(ctx, err)
	}
	// The body is not closed: closing drains it, which a server streaming
	// an endless body would make last until the deadline. Closing the
	// connection ends it.
	switch res.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if res.Header.Get("Location") != "" {
			return 0, nil, errRedirected
		}
	}
	body, err := readBody(res)
	if err != nil {
		return 0, nil, canceledOr(ctx, err)
	}
	return res.StatusCode, body, nil
}

// requestSizeHint is what a self-check's request takes besides its host
// and path: request line, User-Agent and Connection headers.
const requestSizeHint = 96

// readBody reads up to selfCheckBodyLimit bytes of res's body: into a
// buffer of its declared length when it has one within the limit (a key
// authorization's ~90 bytes, where io.ReadAll starts at 512).
func readBody(res *http.Response) ([]byte, error) {
	if n := res.ContentLength; n >= 0 && n <= selfCheckBodyLimit {
		body := make([]byte, n)
		_, err := io.ReadFull(res.Body, body)
		return body, err
	}
	return io.ReadAll(io.LimitReader(res.Body, selfCheckBodyLimit))
}

// cappedReader reads from r until left bytes were read, then fails with
// errAnswerTooLarge.
type cappedReader struct {
	r    io.Reader
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// canceledOr returns ctx's error if it ended, else err: a cancelled check
// reads as such, not as the deadline that cut its connection short.
func canceledOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
