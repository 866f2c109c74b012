package certflow

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportsGoDownTheChain keeps DESIGN.md §1: root → certificate →
// request → order → challenge → solver → store → meta, issuer beside the
// chain, and nothing importing the root package.
func TestImportsGoDownTheChain(t *testing.T) {
	const mod = "github.com/certflow/certflow"
	forbidden := map[string][]string{
		"meta":      {"clock", "store", "solver", "challenge", "order", "request", "certificate", "issuer", "secret", "reconcile"},
		"store":     {"solver", "challenge", "order", "request", "certificate", "issuer", "secret", "reconcile"},
		"secret":    {"store", "solver", "challenge", "order", "request", "certificate", "issuer"},
		"solver":    {"challenge", "order", "request", "certificate", "issuer"},
		"challenge": {"order", "request", "certificate"},
		"order":     {"request", "certificate"},
		"request":   {"certificate"},
		"issuer":    {"certificate", "request", "order", "challenge"},
		"serve":     {"certificate", "request", "order"},
		"acmetest":  {"certificate", "request", "order", "challenge", "issuer"},
		"clock":     {"meta", "store", "solver", "challenge", "order", "request", "certificate", "issuer", "secret", "reconcile"},
		"reconcile": {"solver", "challenge", "order", "request", "certificate", "issuer", "secret"},

		"store/memory":        {"solver", "challenge", "order", "request", "certificate", "issuer", "secret", "reconcile"},
		"store/file":          {"solver", "challenge", "order", "request", "certificate", "issuer", "secret", "reconcile"},
		"solver/dns01":        {"challenge", "order", "request", "certificate", "issuer", "reconcile"},
		"solver/rfc2136":      {"challenge", "order", "request", "certificate", "issuer", "reconcile"},
		"solver/route53":      {"challenge", "order", "request", "certificate", "issuer", "reconcile"},
		"solver/libdnssolver": {"challenge", "order", "request", "certificate", "issuer", "reconcile"},
		"internal/pki":        {"meta", "store", "solver", "challenge", "order", "request", "certificate", "issuer", "secret", "reconcile"},
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Name}}:{{join .Deps \" \"}}", mod+"/...").CombinedOutput()
	require.NoError(t, err, string(out))
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		head, deps, _ := strings.Cut(line, ":")
		pkg, name, _ := strings.Cut(head, " ")
		depSet := map[string]bool{}
		for _, d := range strings.Fields(deps) {
			depSet[d] = true
		}
		// The examples and the commands (cmd/…, and any other program,
		// such as store/etcd/cmd/scale) use the library, and e2e (tests
		// only) drives it end to end, as internal/replicatest runs it in
		// replica processes: they may import anything.
		program := name == "main" || strings.HasPrefix(pkg, mod+"/examples/") || strings.HasPrefix(pkg, mod+"/cmd/")
		if pkg != mod && pkg != mod+"/e2e" && !program && !strings.HasPrefix(pkg, mod+"/internal/replicatest") && depSet[mod] {
			t.Errorf("%s imports the root package; nothing may", pkg)
		}
		rel := strings.TrimPrefix(pkg, mod+"/")
		bans, ok := forbidden[rel]
		if !ok {
			continue
		}
		checked++
		for _, b := range bans {
			if depSet[mod+"/"+b] {
				t.Errorf("%s imports %s: imports go down the chain only (DESIGN.md §1)", rel, b)
			}
		}
	}
	require.Equal(t, len(forbidden), checked, "every package named by the rule exists")
}

// TestAcmetestBringsNoTestLibraries: acmetest is imported by users' tests
// and by programs (the quickstart), so it pulls no test library into their
// binaries; goleak's options live in acmetest/acmeleak.
func TestAcmetestBringsNoTestLibraries(t *testing.T) {
	const mod = "github.com/certflow/certflow"
	out, err := exec.Command("go", "list", "-deps", mod+"/acmetest", mod+"/examples/quickstart").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, mod+"/acmetest")
	for _, d := range deps {
		for _, banned := range []string{"go.uber.org/goleak", "github.com/stretchr/testify"} {
			if strings.HasPrefix(d, banned) {
				t.Errorf("acmetest or the quickstart depends on %s", d)
			}
		}
	}
}
