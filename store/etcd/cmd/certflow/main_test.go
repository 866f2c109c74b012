package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/cmd/certflow/cli"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

const issuerYAML = `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: selfsigned}
spec: {selfSigned: {}}
`

// run runs the command with the etcd build's stores and the environment
// vars, and returns its exit status, stdout and stderr.
func run(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := cli.Run(ctx, args, stores(env(vars)), cli.IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Getenv: env(vars)})
	return code, out.String(), errOut.String()
}

// hostPort is the server's endpoint without its scheme.
func hostPort(srv *etcdtest.Server) string {
	_, hp, _ := strings.Cut(srv.Endpoints()[0], "://")
	return hp
}

// The etcd build runs real verbs on a real etcd: apply writes under the
// location's prefix, get reads it back, and another prefix is another
// store.
func TestCommandOnEtcd(t *testing.T) {
	srv := etcdtest.Start(t)
	vars := map[string]string{"CERTFLOW_STORE": "etcd://" + hostPort(srv) + "/team-a"}

	code, out, errOut := run(t, vars, issuerYAML, "apply", "-f", "-")
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Equal(t, "clusterissuer.cert-manager.io/selfsigned created\n", out)

	code, out, errOut = run(t, vars, "", "get", "clusterissuers", "-o", "name")
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Equal(t, "clusterissuer.cert-manager.io/selfsigned\n", out)

	c, err := srv.Client()
	require.NoError(t, err)
	res, err := c.Get(context.Background(), "/team-a/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	assert.NotZero(t, res.Count, "the object is under the location's prefix")

	code, out, errOut = run(t, nil, "", "--store", "etcd://"+hostPort(srv)+"/team-b", "get", "clusterissuers")
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Empty(t, out, "another prefix holds nothing")
	assert.Contains(t, errOut, "No resources found")
}

// TLS with a client certificate and a user whose password comes from the
// environment or a file; a wrong password fails (exit 1) without showing
// it, and a password on the command line is refused (exit 2).
func TestCommandOnEtcd_TLSAndAuth(t *testing.T) {
	srv := etcdtest.Start(t, etcdtest.WithTLS(), etcdtest.WithAuth("certflow", "right-password"))
	files := srv.TLS()
	loc := "etcd://certflow@" + hostPort(srv) + "/secure?ca=" + files.CA + "&cert=" + files.ClientCert + "&key=" + files.ClientKey

	code, out, errOut := run(t, map[string]string{PasswordEnv: "right-password"}, issuerYAML, "--store", loc, "apply", "-f", "-")
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Equal(t, "clusterissuer.cert-manager.io/selfsigned created\n", out)

	pw := filepath.Join(t.TempDir(), "etcd-password")
	require.NoError(t, os.WriteFile(pw, []byte("right-password\n"), 0o600))
	code, out, errOut = run(t, nil, "", "--store", loc+"&password-file="+pw, "get", "clusterissuers", "-o", "name")
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Equal(t, "clusterissuer.cert-manager.io/selfsigned\n", out)

	code, out, errOut = run(t, map[string]string{PasswordEnv: "wrong-password"}, "", "--store", loc, "get", "clusterissuers")
	assert.Equal(t, cli.ExitFailed, code)
	assert.Empty(t, out)
	assert.NotEmpty(t, errOut)
	assert.NotContains(t, errOut, "wrong-password")

	code, _, errOut = run(t, nil, "", "--store", strings.Replace(loc, "certflow@", "certflow:right-password@", 1), "get", "clusterissuers")
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "a password in the location is refused")
	assert.NotContains(t, errOut, "right-password")
}
