package acmeproto

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"
)

func TestExplainIPRejection(t *testing.T) {
	rejected := &acme.Error{StatusCode: 400, ProblemType: ProblemRejectedIdentifier, Detail: "not in this profile"}
	ipOrder := append(acme.DomainIDs("a.example"), acme.IPIDs("192.0.2.1", "2001:db8::1")...)
	tests := map[string]struct {
		err     error
		ids     []acme.AuthzID
		explain bool
	}{
		"rejectedIdentifier, order with IPs":    {rejected, ipOrder, true},
		"unsupportedIdentifier, order with IPs": {&acme.Error{StatusCode: 400, ProblemType: ProblemUnsupportedIdentifier}, ipOrder, true},
		"wrapped rejectedIdentifier":            {fmt.Errorf("post: %w", rejected), acme.IPIDs("192.0.2.1"), true},
		"rejectedIdentifier, DNS names only":    {rejected, acme.DomainIDs("a.example"), false},
		"rate limited, order with IPs":          {&acme.Error{StatusCode: 429, ProblemType: ProblemRateLimited}, ipOrder, false},
		"not an ACME problem":                   {errors.New("dial: refused"), ipOrder, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := ExplainIPRejection(tt.err, tt.ids, "classic")
			if !tt.explain {
				assert.Same(t, tt.err, got)
				return
			}
			var ipe *IPRejectedError
			require.ErrorAs(t, got, &ipe)
			assert.ErrorIs(t, got, ErrIPRejected)
			assert.Equal(t, "classic", ipe.Profile)
			assert.NotContains(t, ipe.IPs, "a.example")
			assert.Contains(t, got.Error(), `profile "classic"`)
			assert.Contains(t, got.Error(), `"shortlived"`)
		})
	}
}

// Classify keeps the CA's problem type and class and puts the hint before
// its words.
func TestClassify_IPRejected(t *testing.T) {
	rejected := &acme.Error{StatusCode: 400, ProblemType: ProblemRejectedIdentifier, Detail: "IPs only in shortlived"}
	p := Classify(ExplainIPRejection(rejected, acme.IPIDs("192.0.2.1"), ""), time.Now())
	assert.Equal(t, Terminal, p.Class)
	assert.Equal(t, ProblemRejectedIdentifier, p.Type)
	assert.Equal(t, 400, p.HTTPStatus)
	assert.Contains(t, p.Detail, "IP address 192.0.2.1 with no profile")
	assert.Contains(t, p.Detail, ": IPs only in shortlived")
}
