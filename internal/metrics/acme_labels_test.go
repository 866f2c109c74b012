package metrics

import (
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

func TestSchemeAndMethodLabels(t *testing.T) {
	assert.Equal(t, []string{"https", "http", "other", "other"},
		[]string{schemeLabel("https"), schemeLabel("http"), schemeLabel("gopher"), schemeLabel("HTTPS")})
	assert.Equal(t, []string{"POST", "GET", "HEAD", "other"},
		[]string{methodLabel("POST"), methodLabel("GET"), methodLabel("HEAD"), methodLabel("PUT")})
}
