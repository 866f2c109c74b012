package metrics

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStatusLabel(t *testing.T) {
	for code, want := range map[int]string{
		200: "200", 201: "201", 204: "204", 301: "301", 308: "308", 400: "400", 403: "403", 404: "404",
		409: "409", 429: "429", 500: "500", 503: "503", 504: "504",
		// Outside the known codes: the class, still matched by status=~"4..".
		102: "1xx", 299: "2xx", 399: "3xx", 418: "4xx", 599: "5xx",
		// Outside HTTP's range, a CA's 999 included: never certflow's 999.
		0: "other", 99: "other", 600: "other", 999: "other",
	} {
		assert.Equal(t, want, statusLabel(code), "%d", code)
	}
}

func TestHostLabel(t *testing.T) {
	home := homeOf("https://acme.example.test:14000/dir?x=secret")
	assert.Equal(t, "acme.example.test:14000", home.label("acme.example.test:14000"))
	assert.Equal(t, "acme.example.test:14000", home.label("ACME.example.test:14000"), "the configured spelling")
	assert.Equal(t, "other", home.label("acme.example.test"), "another port")
	assert.Equal(t, "other", home.label("cdn.example.test"))
	assert.Equal(t, "other", homeOf("").label(""), "no directory names no host")
	assert.Equal(t, "other", homeOf("https://user:pass@ca.test/dir").label("user:pass@ca.test"), "userinfo is never a host")
}

// A CA that behaves may spell the configured host otherwise in the URLs
// it hands out; cert-manager names the spelling as it comes, and so does
// certflow while the spellings stay few.
func TestHostLabel_SpellingsOfTheConfiguredHost(t *testing.T) {
	for _, c := range []struct{ dir, host, want string }{
		{"https://ca.example.test:443/dir", "ca.example.test", "ca.example.test"},
		{"https://ca.example.test:443/dir", "ca.example.test:443", "ca.example.test:443"},
		{"https://ca.example.test/dir", "ca.example.test:443", "ca.example.test:443"},
		{"http://ca.example.test:80/dir", "ca.example.test", "ca.example.test"},
		{"https://ca.example.test:/dir", "ca.example.test", "ca.example.test"},
		{"https://CA.example.test/dir", "ca.example.test", "ca.example.test"},
		{"https://CA.example.test/dir", "Ca.Example.test", "CA.example.test"},
		{"https://CA.example.test/dir", "CA.EXAMPLE.TEST:443", "CA.example.test"},
		{"https://bücher.example.test/dir", "xn--bcher-kva.example.test", "xn--bcher-kva.example.test"},
		{"https://[::1]/dir", "[::1]:443", "[::1]:443"},
		// Another server, on another port or host, is not the CA's.
		{"https://ca.example.test/dir", "ca.example.test:80", "other"},
		{"https://ca.example.test:8443/dir", "ca.example.test", "other"},
		{"https://ca.example.test/dir", "ca.example.test.evil.test", "other"},
		{"https://ca.example.test/dir", "", "other"},
	} {
		assert.Equal(t, c.want, homeOf(c.dir).label(c.host), "%s, request to %q", c.dir, c.host)
	}
}

// However the CA varies the case of the configured host, at most three
// labels name it.
func TestHostLabel_SpellingsStayFew(t *testing.T) {
	home := homeOf("https://CA.example.test/dir")
	labels := map[string]bool{}
	const name = "ca.example.test"
	for mask := range 1 << len("ca.example") {
		b := []byte(name)
		for i := range len("ca.example") {
			if mask&(1<<i) != 0 {
				b[i] = strings.ToUpper(string(b[i]))[0]
			}
		}
		labels[home.label(string(b))] = true
		labels[home.label(string(b)+":443")] = true
	}
	assert.Equal(t, map[string]bool{"CA.example.test": true, "ca.example.test": true, "ca.example.test:443": true}, labels)
}

func TestSchemeAndMethodLabels(t *testing.T) {
	assert.Equal(t, []string{"https", "http", "other", "other"},
		[]string{schemeLabel("https"), schemeLabel("http"), schemeLabel("gopher"), schemeLabel("HTTPS")})
	assert.Equal(t, []string{"POST", "GET", "HEAD", "other"},
		[]string{methodLabel("POST"), methodLabel("GET"), methodLabel("HEAD"), methodLabel("PUT")})
}

// Whatever host the CA sends the client to, the label is "other" or one of
// the three spellings of the configured host.
func FuzzHostLabel(f *testing.F) {
	for _, s := range [][2]string{{"https://CA.example.test/dir", "ca.example.test:443"},
		{"https://bücher.example.test:443/dir", "XN--BCHER-KVA.example.test"}, {"https://[::1]:/dir", "[::1]:443"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, dir, host string) {
		h := homeOf(dir)
		got := h.label(host)
		allowed := []string{otherLabel, h.host, h.canon, h.canon + ":" + h.port}
		assert.Contains(t, allowed, got)
		if got != otherLabel {
			assert.Equal(t, h.canon, canonicalHost(host, h.port))
		}
	})
}
