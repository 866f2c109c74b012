package serve

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// challengePrefix is where HTTP-01 validators look (RFC 8555 §8.3).
const challengePrefix = "/.well-known/acme-challenge/"

// HTTPHandler answers ACME HTTP-01 validation requests from tokens (which
// must not be nil; a *Cache is one) and passes every other request to
// fallback.
//
// A request whose path starts with /.well-known/acme-challenge/ is answered
// here and never reaches fallback:
//   - methods other than GET and HEAD get 405 with an Allow header;
//   - a path that is not exactly the prefix plus one token of 22–128
//     base64url characters (so no further segment, no "." or "..", no
//     percent-encoding) gets 400;
//   - an unknown token (after asking FindKeyAuthorization, when tokens is
//     a TokenFinder), or a Host (port, brackets, trailing dot and case
//     ignored) that is not the challenge's identifier, gets 404 and no key
//     authorization;
//   - otherwise 200 with the key authorization as a text/plain body.
//
// If fallback is nil, GET and HEAD requests are redirected (302 Found) to
// https://host/path?query with the port dropped — the HTTP port says
// nothing about the HTTPS one, so 443 is assumed — and other methods get
// 405, since nothing else is served over plain HTTP.
func HTTPHandler(tokens TokenSource, fallback http.Handler) http.Handler {
	if fallback == nil {
		fallback = http.HandlerFunc(redirectHTTPS)
	}
	return &challengeHandler{tokens: tokens, fallback: fallback}
}

// TokenFinder is a TokenSource that can look further for a token it does
// not hold (say, in the Store its challenges come from, when it may lag
// behind). HTTPHandler asks it only for well-formed tokens its
// KeyAuthorization missed, with the request's context and the request's
// Host without port or IPv6 brackets (as sent: case and a trailing dot
// kept). An implementation MUST bound what made-up tokens and hosts cost
// it, and SHOULD look only for hosts it may be validated for: anyone can
// send them.
type TokenFinder interface {
	TokenSource
	FindKeyAuthorization(ctx context.Context, host, token string) (keyAuth, identifier string, ok bool)
}

type challengeHandler struct {
	tokens   TokenSource
	fallback http.Handler
}

func (h *challengeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Both the decoded and the escaped path are checked, so neither
	// "/.well-known/acme-challenge%2Fx" nor "/.well-known/%61cme-challenge/x"
	// slips past to the fallback looking like something else.
	escaped := r.URL.EscapedPath()
	if !strings.HasPrefix(r.URL.Path, challengePrefix) && !strings.HasPrefix(escaped, challengePrefix) {
		h.fallback.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token := strings.TrimPrefix(escaped, challengePrefix)
	if token != strings.TrimPrefix(r.URL.Path, challengePrefix) || !validToken(token) {
		http.Error(w, "malformed acme challenge token", http.StatusBadRequest)
		return
	}
	keyAuth, id, ok := h.tokens.KeyAuthorization(token)
	if f, finder := h.tokens.(TokenFinder); !ok && finder {
		keyAuth, id, ok = f.FindKeyAuthorization(r.Context(), hostname(r.Host), token)
	}
	if !ok || !hostMatches(r.Host, id) {
		http.NotFound(w, r)
		return
	}
	// Every HTTP-01 validation (each of the CA's perspectives and the
	// self-check) is answered here: values shared by all answers are not
	// allocated for each. Header values are not changed in place by
	// net/http, nor by a caller that Sets or Adds them (a new slice).
	hdr := w.Header()
	hdr["Content-Type"] = textPlain
	hdr["Content-Length"] = []string{strconv.Itoa(len(keyAuth))}
	hdr["Cache-Control"] = noStore
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = io.WriteString(w, keyAuth)
	}
}

var (
	textPlain = []string{"text/plain"}
	noStore   = []string{"no-store"}
)

// hostMatches reports whether the Host header names identifier (a DNS name
// or an IP address, as the challenge holds it).
func hostMatches(host, identifier string) bool {
	host = hostname(host)
	if host == "" || identifier == "" {
		return false
	}
	if mayBeIP(identifier) {
		if want, err := netip.ParseAddr(identifier); err == nil {
			got, err := netip.ParseAddr(host)
			return err == nil && got.Unmap() == want.Unmap()
		}
	}
	return strings.EqualFold(trimDot(host), trimDot(identifier))
}

// mayBeIP reports whether s could be an IP address: IPv4 text is digits
// and dots, IPv6 text has a colon. A DNS name is not parsed, as a failed
// parse allocates its error.
func mayBeIP(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ':' {
			return true
		} else if c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// hostname strips the port and IPv6 brackets from a Host header value.
func hostname(host string) string {
	if !strings.Contains(host, ":") {
		// What a validator sends on port 80; SplitHostPort would
		// allocate its "missing port" error.
		return host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		return host[1 : len(host)-1]
	}
	return host
}

// redirectHTTPS is the fallback when none is given.
func redirectHTTPS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "use HTTPS", http.StatusMethodNotAllowed)
		return
	}
	host := hostname(r.Host)
	if host == "" {
		http.Error(w, "missing Host header", http.StatusBadRequest)
		return
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusFound)
}
