package pebblegate

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

// handlerClasses is the lock analysis of Paths by Pebble handler: the
// handlers that hold an authorization's lock while waiting for an order's
// or the store's, and those that hold the store's or an order's while
// waiting for an authorization's. Every other handler is free.
var handlerClasses = map[string]Class{
	"Authz":         ClassAuthz,
	"Challenge":     ClassAuthz,
	"NewOrder":      ClassOrders,
	"Order":         ClassOrders,
	"FinalizeOrder": ClassOrders,
	"ListOrders":    ClassOrders,
}

// TestClassOf_EveryPebbleHandler reads the pinned Pebble's wfe.Handler()
// and checks that the gate knows every path it serves, and classes each as
// its handler: a Pebble that serves another path, or a class mapped to the
// wrong path, fails here.
func TestClassOf_EveryPebbleHandler(t *testing.T) {
	served := pebbleHandlerPaths(t, "Handler")
	require.NotEmpty(t, served)
	var known []string
	for _, p := range Paths() {
		known = append(known, p.Pattern)
	}
	assert.ElementsMatch(t, known, mapKeys(served), "the gate's paths are Pebble's")
	for pattern, handler := range served {
		want := handlerClasses[handler]
		path := pattern
		if strings.HasSuffix(pattern, "/") {
			path += "x1y2"
		}
		assert.Equal(t, want, ClassOf(path), "%s (%s)", path, handler)
	}
	assert.Equal(t, ClassFree, ClassOf("/not-pebbles"))
	assert.Equal(t, ClassFree, ClassOf("/order-plz/more"), "an exact pattern matches only itself")
}

// TestClassOf_ManagementPathsAreFree: the management handler's paths
// (which acmetest serves beside the ACME API) take one lock at a time, so
// none may share a prefix with a gated ACME path.
func TestClassOf_ManagementPathsAreFree(t *testing.T) {
	served := pebbleHandlerPaths(t, "ManagementHandler")
	require.NotEmpty(t, served)
	for pattern := range served {
		assert.Equal(t, ClassFree, ClassOf(pattern+"x1y2"), pattern)
	}
}

// pebbleHandlerPaths returns the patterns the pinned Pebble's method
// wfe.<method>() registers, each with its handler's name.
func pebbleHandlerPaths(t *testing.T, method string) map[string]string {
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
			if n.Name.Name != method || n.Recv == nil {
				return false
			}
			ast.Inspect(n.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 3 {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || !strings.HasPrefix(sel.Sel.Name, "Handle") {
					return true
				}
				pattern, ok := call.Args[1].(*ast.Ident)
				if ok {
					paths[pattern.Name] = handlerName(call.Args[2])
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

// handlerName is the method a handler argument names: wfe.X, or
// wfe.X(...) for the management handler's generated ones.
func handlerName(e ast.Expr) string {
	if call, ok := e.(*ast.CallExpr); ok {
		e = call.Fun
	}
	if sel, ok := e.(*ast.SelectorExpr); ok {
		return sel.Sel.Name
	}
	return ""
}

func mapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
