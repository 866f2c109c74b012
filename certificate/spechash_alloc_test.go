package certificate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDNSKey_EmptyCommonName: a spec without a commonName (most) hashes
// its empty name as itself, without formatting the error an empty DNS
// name is (SpecHash runs a few times per issuance).
func TestDNSKey_EmptyCommonName(t *testing.T) {
	assert.Empty(t, dnsKey(""))
	assert.Equal(t, "a.example.com", dnsKey("A.Example.com."))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = dnsKey("") }))
}
