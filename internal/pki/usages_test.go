package pki

import (
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsageNames(t *testing.T) {
	tests := []struct {
		names []string
		isCA  bool
		want  []string
	}{
		{nil, false, []string{"digital signature", "key encipherment"}},
		{[]string{"signing", "server auth", "client auth"}, false, []string{"digital signature", "server auth", "client auth"}},
		{[]string{"s/mime", "crl sign"}, true, []string{"cert sign", "crl sign", "email protection"}},
		{[]string{"any", "ocsp signing", "netscape sgc", "decipher only"}, false, []string{"decipher only", "any", "ocsp signing", "netscape sgc"}},
	}
	for _, tt := range tests {
		ku, eku, err := Usages(tt.names, tt.isCA)
		require.NoError(t, err)
		assert.Equal(t, tt.want, UsageNames(ku, eku), "%v", tt.names)
		ku2, eku2, err := Usages(tt.want, false)
		require.NoError(t, err)
		assert.Equal(t, ku, ku2, "names read back to the same usages")
		assert.Equal(t, eku, eku2)
	}
	assert.Empty(t, UsageNames(0, []x509.ExtKeyUsage{x509.ExtKeyUsageMicrosoftCommercialCodeSigning}), "usages cert-manager cannot name are left out")
}
