package solver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// selfCheckTimeout bounds one self-check's request and answer.
const selfCheckTimeout = 10 * time.Second

// selfCheckBodyLimit is as much of an answer's body as a self-check reads:
// a key authorization is under 100 bytes.
const selfCheckBodyLimit = 4096

// errRedirected is get's answer to a redirect, which it does not follow.
var errRedirected = errors.New("redirected")

// get makes req over a connection of its own and reads the answer on the
// calling goroutine. An http.Transport would do the same over two
// goroutines of its own per connection and hand the answer over between
// them, and the self-check is on every HTTP-01 issuance's path. A redirect
// is not followed here: it answers errRedirected.
func (h HTTP01Solver) get(ctx context.Context, req *http.Request) (int, []byte, error) {
	conn, err := h.dial()(ctx, "tcp", req.URL.Host)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	deadline := time.Now().Add(selfCheckTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return 0, nil, err
	}
	// Cancelling ctx ends a read or write under way at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req.Close = true // one request on the connection, as the CA makes
	if err := req.Write(conn); err != nil {
		return 0, nil, canceledOr(ctx, err)
	}
	res, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), req)
	if err != nil {
		return 0, nil, canceledOr(ctx, err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if res.Header.Get("Location") != "" {
			return 0, nil, errRedirected
		}
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, selfCheckBodyLimit))
	if err != nil {
		return 0, nil, canceledOr(ctx, err)
	}
	return res.StatusCode, body, nil
}

// canceledOr returns ctx's error if it ended, else err: a cancelled check
// reads as such, not as the deadline that cut its connection short.
func canceledOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
