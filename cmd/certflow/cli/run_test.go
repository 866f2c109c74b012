package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// memStore is a memory store the command can close, standing in for a
// store of another module (etcd) added with its own scheme.
type memStore struct{ *memory.Store }

func (memStore) Close() error { return nil }

// TestRunWithAnotherStore: a module that adds a store builds the same
// command with one more StoreOpener, and every verb works on it.
func TestRunWithAnotherStore(t *testing.T) {
	st := memStore{memory.New()}
	opened := ""
	stores := DefaultStores()
	stores["mem"] = func(_ context.Context, location string) (Store, error) {
		opened = location
		return st, nil
	}
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, stores, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
			Getenv: func(k string) string {
				if k == "CERTFLOW_STORE" {
					return "mem://cluster-a"
				}
				return ""
			}})
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run(`apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: selfsigned}
spec: {selfSigned: {}}
`, "apply", "-f", "-")
	require.Equal(t, ExitOK, code, errOut)
	assert.Equal(t, "clusterissuer.cert-manager.io/selfsigned created\n", out)
	assert.Equal(t, "cluster-a", opened, "the opener gets what follows the scheme")

	code, out, _ = run("", "get", "clusterissuers", "-o", "name")
	require.Equal(t, ExitOK, code)
	assert.Equal(t, "clusterissuer.cert-manager.io/selfsigned\n", out)

	// A second apply says what changed, object by object.
	code, out, errOut = run(`apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: selfsigned}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: other}
spec: {selfSigned: {}}
`, "apply", "-f", "-")
	require.Equal(t, ExitOK, code, errOut)
	assert.Equal(t, "clusterissuer.cert-manager.io/selfsigned unchanged\nclusterissuer.cert-manager.io/other created\n", out)
	code, out, errOut = run(`apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: other, labels: {team: web}}
spec: {selfSigned: {}}
`, "apply", "-f", "-")
	require.Equal(t, ExitOK, code, errOut)
	assert.Equal(t, "clusterissuer.cert-manager.io/other configured\n", out)

	code, _, errOut = run("", "--store", "etcd://127.0.0.1:2379", "get", "clusterissuers")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, `unknown scheme "etcd"; this certflow knows file://, mem://`)
	assert.Contains(t, errOut, "go install github.com/certflow/certflow/store/etcd/cmd/certflow@latest", "says where etcd:// is")
}

// TestRunOpenerUsageError: an opener that cannot read its location makes
// the command exit with the usage status; any other failure to open is 1.
func TestRunOpenerUsageError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("store x://: bad option: %w", ErrUsage), ExitUsage},
		{errors.New("store x://: unreachable"), ExitFailed},
	} {
		stores := Stores{"x": func(context.Context, string) (Store, error) { return nil, tt.err }}
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"--store", "x://y", "get", "certificates"}, stores,
			IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		assert.Equal(t, tt.want, code, tt.err)
		assert.Contains(t, errOut.String(), tt.err.Error())
	}
}

// downStore is a store that cannot be reached.
type downStore struct{ memStore }

func (downStore) List(context.Context, store.ListOptions) (store.ListResult, error) {
	return store.ListResult{}, errors.New("etcd: unavailable")
}

// TestRunUnreachableStore: a list that cannot be read fails with status 1
// and says why, instead of claiming there is nothing.
func TestRunUnreachableStore(t *testing.T) {
	stores := Stores{"down": func(context.Context, string) (Store, error) { return downStore{memStore{memory.New()}}, nil }}
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"--store", "down://x", "get", "certificates"}, stores,
		IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	assert.Equal(t, ExitFailed, code)
	assert.Empty(t, out.String())
	assert.Contains(t, errOut.String(), "etcd: unavailable")
	assert.NotContains(t, errOut.String(), "No resources found")
}
