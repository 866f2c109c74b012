package certflow

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRevocationReason(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want RevocationReason
		err  bool
	}{
		{"unspecified", RevocationUnspecified, false},
		{"keyCompromise", RevocationKeyCompromise, false},
		{"KEYCOMPROMISE", RevocationKeyCompromise, false},
		{"cessationOfOperation", RevocationCessationOfOperation, false},
		{"superseded", RevocationSuperseded, false},
		{"affiliationChanged", RevocationAffiliationChanged, false},
		{"aACompromise", RevocationAACompromise, false},
		{"4", RevocationSuperseded, false},
		{"10", RevocationAACompromise, false},
		{"7", 0, true}, // unused in RFC 5280
		{"11", 0, true},
		{"-1", 0, true},
		{"", 0, true},
		{"key compromise", 0, true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRevocationReason(tt.in)
			if tt.err {
				require.ErrorIs(t, err, ErrBadRevocationReason)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRevocationReasonString(t *testing.T) {
	assert.Equal(t, "keyCompromise", RevocationKeyCompromise.String())
	assert.Equal(t, "RevocationReason(7)", RevocationReason(7).String())
	assert.False(t, RevocationReason(7).Valid())
	for r := RevocationUnspecified; r <= RevocationAACompromise; r++ {
		if !r.Valid() {
			continue
		}
		back, err := ParseRevocationReason(r.String())
		require.NoError(t, err)
		assert.Equal(t, r, back, "a name parses back")
	}
}

// FuzzParseRevocationReason: any input parses to a valid reason whose name
// or number is the input, or is refused with ErrBadRevocationReason.
func FuzzParseRevocationReason(f *testing.F) {
	for _, s := range []string{"keyCompromise", "1", "7", "", "superSEDED"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRevocationReason(s)
		if err != nil {
			require.ErrorIs(t, err, ErrBadRevocationReason)
			return
		}
		require.True(t, r.Valid())
		if s != fmt.Sprint(int(r)) {
			back, err := ParseRevocationReason(r.String())
			require.NoError(t, err)
			require.Equal(t, r, back)
		}
	})
}
