package e2e

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handlerClasses is the lock analysis of pebblePaths by Pebble handler:
// the handlers that hold an authorization's lock while waiting for an
// order's or the store's, and those that hold the store's or an order's
// while waiting for an authorization's. Every other handler is free.
var handlerClasses = map[string]pebbleClass{
	"Authz":         classAuthz,
	"Challenge":     classAuthz,
	"NewOrder":      classOrders,
	"Order":         classOrders,
	"FinalizeOrder": classOrders,
	"ListOrders":    classOrders,
}

// TestPebbleClassOf_EveryPebbleHandler reads the pinned Pebble's
// wfe.Handler() and checks that the gate knows every path it serves, and
// classes each as its handler: a Pebble that serves another path, or a
// class mapped to the wrong path, fails here.
func TestPebbleClassOf_EveryPebbleHandler(t *testing.T) {
	served := pebbleHandlerPaths(t)
	require.NotEmpty(t, served)
	var known []string
	for _, p := range pebblePaths {
		known = append(known, p.pattern)
	}
	assert.ElementsMatch(t, known, mapKeys(served), "the gate's paths are Pebble's")
	for pattern, handler := range served {
		want := handlerClasses[handler]
		path := pattern
		if strings.HasSuffix(pattern, "/") {
			path += "x1y2"
		}
		assert.Equal(t, want, pebbleClassOf(path), "%s (%s)", path, handler)
	}
	assert.Equal(t, classFree, pebbleClassOf("/not-pebbles"))
	assert.Equal(t, classFree, pebbleClassOf("/order-plz/more"), "an exact pattern matches only itself")
}

// pebbleHandlerPaths returns the patterns the pinned Pebble's
// wfe.Handler() registers, each with its handler method's name.
func pebbleHandlerPaths(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/letsencrypt/pebble/v2").Output()
	require.NoError(t, err)
	file := filepath.Join(strings.TrimSpace(string(out)), "wfe", "wfe.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	require.NoError(t, err)
	consts := map[string]string{}
	paths := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[name.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		case *ast.FuncDecl:
			if n.Name.Name != "Handler" || n.Recv == nil {
				return false
			}
			ast.Inspect(n.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 3 {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "HandleFunc" {
					return true
				}
				pattern, ok1 := call.Args[1].(*ast.Ident)
				handler, ok2 := call.Args[2].(*ast.SelectorExpr)
				if ok1 && ok2 {
					paths[pattern.Name] = handler.Sel.Name
				}
				return true
			})
			return false
		}
		return true
	})
	resolved := map[string]string{}
	for name, handler := range paths {
		require.Contains(t, consts, name)
		resolved[consts[name]] = handler
	}
	return resolved
}

func mapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
