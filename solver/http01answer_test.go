package solver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// piped returns a solver whose check reaches serve over a synchronous
// in-memory connection: a Write of serve's returns once the check has read
// all of it, so what serve wrote is what the check read. serve gets the
// request already read; consumed counts the bytes the check took of what
// serve wrote after it.
func piped(t *testing.T, serve func(r *http.Request, w io.Writer) error) (s HTTP01Solver, consumed *atomic.Int64) {
	t.Helper()
	consumed = new(atomic.Int64)
	s.Dial = func(ctx context.Context, _, _ string) (net.Conn, error) {
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer server.Close()
			req, err := http.ReadRequest(bufio.NewReader(server))
			if err != nil {
				return
			}
			_ = serve(req, countingWriter{server, consumed})
		}()
		t.Cleanup(func() { <-done })
		return client, nil
	}
	return s, consumed
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// endless writes s, then fill repeated until the reader stops reading or
// up to limit bytes in all (so that a check that read without bound ends
// its test instead of filling memory).
func endless(w io.Writer, s string, fill string, limit int) error {
	if _, err := io.WriteString(w, s); err != nil {
		return err
	}
	block := strings.Repeat(fill, 1024/len(fill))
	for n := len(s); n < limit; n += len(block) {
		if _, err := io.WriteString(w, block); err != nil {
			return err
		}
	}
	return nil
}

func checkURL(t *testing.T) *http.Request {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://a.example.test:80/.well-known/acme-challenge/tok", nil)
	require.NoError(t, err)
	return req
}

// A header that never ends is read up to the answer's limit, not for as
// long as the server sends it.
func TestHTTP01CheckBoundsAnEndlessHeader(t *testing.T) {
	s, consumed := piped(t, func(_ *http.Request, w io.Writer) error {
		return endless(w, "HTTP/1.1 200 OK\r\nX-Long: ", "a", 4*selfCheckAnswerLimit)
	})
	_, _, err := s.get(t.Context(), checkURL(t))
	require.ErrorIs(t, err, errAnswerTooLarge)
	assert.LessOrEqual(t, consumed.Load(), int64(selfCheckAnswerLimit))
}

// So is a status line that never ends.
func TestHTTP01CheckBoundsAnEndlessStatusLine(t *testing.T) {
	s, consumed := piped(t, func(_ *http.Request, w io.Writer) error {
		return endless(w, "HTTP/1.1 200 ", "O", 4*selfCheckAnswerLimit)
	})
	_, _, err := s.get(t.Context(), checkURL(t))
	require.ErrorIs(t, err, errAnswerTooLarge)
	assert.LessOrEqual(t, consumed.Load(), int64(selfCheckAnswerLimit))
}

// A body that never ends is read up to selfCheckBodyLimit and no further:
// the check neither drains it nor waits for its end.
func TestHTTP01CheckReadsNoMoreOfAnEndlessBodyThanItCompares(t *testing.T) {
	for name, head := range map[string]string{
		"chunked":        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n",
		"content-length": "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n",
		"until close":    "HTTP/1.1 200 OK\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			s, consumed := piped(t, func(_ *http.Request, w io.Writer) error { return endless(w, head, "x", 1<<20) })
			code, body, err := s.get(t.Context(), checkURL(t))
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, code)
			assert.Len(t, body, selfCheckBodyLimit)
			// What bufio read ahead (1 KiB) beyond the body compared.
			assert.LessOrEqual(t, consumed.Load(), int64(len(head)+selfCheckBodyLimit+1024))
		})
	}
}

// The answer's framing is HTTP's: a chunked body is joined, a body shorter
// than its Content-Length is an error, not a key authorization.
func TestHTTP01CheckReadsTheAnswerAsHTTP(t *testing.T) {
	const ka = "tok.thumb"
	for _, tc := range []struct {
		name, answer string
		wantErr      bool
	}{
		{name: "chunked", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ntok.\r\n5\r\nthumb\r\n0\r\n\r\n"},
		{name: "content-length", answer: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ntok.thumb"},
		{name: "HTTP/1.0 until close", answer: "HTTP/1.0 200 OK\r\n\r\ntok.thumb"},
		{name: "cut short of its content-length", answer: "HTTP/1.1 200 OK\r\nContent-Length: 90\r\n\r\ntok.thumb", wantErr: true},
		{name: "cut inside a chunk", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\ntok.thumb", wantErr: true},
		{name: "after interim answers", answer: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ntok.thumb"},
		{name: "no status line", answer: "tok.thumb\r\n\r\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := piped(t, func(_ *http.Request, w io.Writer) error { _, err := io.WriteString(w, tc.answer); return err })
			err := s.Check(t.Context(), Challenge{Type: HTTP01, Identifier: "a.example.test", Token: "tok", KeyAuthorization: ka})
			if tc.wantErr {
				require.ErrorIs(t, err, ErrSelfCheck)
				return
			}
			require.NoError(t, err)
		})
	}
}

// The dial is bounded like the rest of the check: a caller without a
// deadline does not wait for the system's connect timeout.
func TestHTTP01CheckBoundsTheDial(t *testing.T) {
	var got time.Time
	var had bool
	refused := errors.New("refused")
	s := HTTP01Solver{Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		got, had = ctx.Deadline()
		return nil, refused
	}}
	_, _, err := s.get(context.Background(), checkURL(t))
	require.ErrorIs(t, err, refused)
	require.True(t, had, "the dial has a deadline")
	assert.False(t, got.After(time.Now().Add(selfCheckTimeout)))
}

// The body is the key authorization, with whitespace allowed at its end
// only (RFC 8555 §8.3), as the CA compares it.
func TestHTTP01CheckComparesTheBodyAsTheCADoes(t *testing.T) {
	for body, ok := range map[string]bool{
		"tok.thumb":            true,
		"tok.thumb\r\n":        true,
		"tok.thumb \t\n":       true,
		" tok.thumb":           false,
		"\ntok.thumb":          false,
		"tok.thumb\u00a0":      false,
		"tok.thumbx":           false,
		"tok.thumb\x00":        false,
		"tok.thumb\ntok.thumb": false,
	} {
		s, _ := piped(t, func(_ *http.Request, w io.Writer) error {
			_, err := io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
			return err
		})
		err := s.Check(t.Context(), Challenge{Type: HTTP01, Identifier: "a.example.test", Token: "tok", KeyAuthorization: "tok.thumb"})
		if ok {
			assert.NoError(t, err, "%q", body)
		} else {
			assert.ErrorIs(t, err, ErrSelfCheck, "%q", body)
		}
	}
}

// FuzzHTTP01Answer: any answer gets an outcome, never more of the body
// than is compared nor more of the connection than the answer's limit.
func FuzzHTTP01Answer(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ntok.thumb"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ntok.\r\n5\r\nthumb\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\ntok.thumb"))
	f.Fuzz(func(t *testing.T, answer []byte) {
		s, consumed := piped(t, func(_ *http.Request, w io.Writer) error { _, err := w.Write(answer); return err })
		_, body, _ := s.get(t.Context(), checkURL(t))
		assert.LessOrEqual(t, len(body), selfCheckBodyLimit)
		assert.LessOrEqual(t, consumed.Load(), int64(selfCheckAnswerLimit))
	})
}

// On port 80 the Host header names the identifier alone, as the CA's
// request does, and the connection goes to port 80; an IPv6 identifier is
// bracketed in both.
func TestHTTP01CheckOnPort80NamesNoPort(t *testing.T) {
	for id, want := range map[string][2]string{
		"a.example.test": {"a.example.test", "a.example.test:80"},
		"2001:db8::1":    {"[2001:db8::1]", "[2001:db8::1]:80"},
		"192.0.2.1":      {"192.0.2.1", "192.0.2.1:80"},
	} {
		var host, addr string
		s, _ := piped(t, func(r *http.Request, w io.Writer) error {
			host = r.Host
			_, err := io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ntok.thumb")
			return err
		})
		dial := s.Dial
		s.Dial = func(ctx context.Context, network, a string) (net.Conn, error) {
			addr = a
			return dial(ctx, network, a)
		}
		require.NoError(t, s.Check(t.Context(), Challenge{Type: HTTP01, Identifier: id, Token: "tok", KeyAuthorization: "tok.thumb"}))
		assert.Equal(t, want[0], host, id)
		assert.Equal(t, want[1], addr, id)
	}
}
