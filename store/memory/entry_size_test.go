package memory

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// The store holds ~8 entries a certificate (800,000 at 100k): an entry
// stays within the 96-byte size class.
func TestEntry_FitsItsSizeClass(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(entry{}), uintptr(96))
}
