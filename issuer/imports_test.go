package issuer

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportRules keeps DESIGN.md §1: issuer sits beside the chain and never
// imports the resources that use it.
func TestImportRules(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	const mod = "github.com/certflow/certflow/"
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"certificate", "request", "order", "challenge"} {
			assert.NotEqual(t, mod+banned, pkg, "issuer must not import %s", banned)
		}
	}
}
