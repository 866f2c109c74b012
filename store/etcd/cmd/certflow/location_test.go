package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/cmd/certflow/cli"
	"github.com/certflow/certflow/store/etcd"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// parseLocation reads every part of an etcd:// location into etcd.Config.
func TestParseLocation(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("from-file\n"), 0o600))
	tests := map[string]struct {
		loc  string
		env  map[string]string
		want etcd.Config
	}{
		"one host, default prefix": {loc: "127.0.0.1:2379",
			want: etcd.Config{Endpoints: []string{"http://127.0.0.1:2379"}}},
		"several hosts, a prefix": {loc: "etcd-0:2379,etcd-1:2380/apps/certflow",
			want: etcd.Config{Endpoints: []string{"http://etcd-0:2379", "http://etcd-1:2380"}, Prefix: "/apps/certflow"}},
		"port 2379 when omitted, IPv6": {loc: "etcd-0,[::1]",
			want: etcd.Config{Endpoints: []string{"http://etcd-0:2379", "http://[::1]:2379"}}},
		"tls with the system roots": {loc: "etcd:2379?tls=true",
			want: etcd.Config{Endpoints: []string{"https://etcd:2379"}}},
		"ca and client certificate imply tls": {loc: "etcd:2379/p?ca=/ca.crt&cert=/c.crt&key=/c.key",
			want: etcd.Config{Endpoints: []string{"https://etcd:2379"}, Prefix: "/p", CAFile: "/ca.crt", CertFile: "/c.crt", KeyFile: "/c.key"}},
		"user@ with the password from the environment": {loc: "certflow@etcd:2379", env: map[string]string{PasswordEnv: "s3cret"},
			want: etcd.Config{Endpoints: []string{"http://etcd:2379"}, Username: "certflow", Password: "s3cret"}},
		"user= with password-file, newline trimmed": {loc: "etcd:2379?user=certflow&password-file=" + pwFile,
			env:  map[string]string{PasswordEnv: "ignored"},
			want: etcd.Config{Endpoints: []string{"http://etcd:2379"}, Username: "certflow", Password: "from-file"}},
		"no user: the environment's password is not used": {loc: "etcd:2379", env: map[string]string{PasswordEnv: "s3cret"},
			want: etcd.Config{Endpoints: []string{"http://etcd:2379"}}},
		"timeouts": {loc: "etcd:2379?dial-timeout=2s&request-timeout=500ms",
			want: etcd.Config{Endpoints: []string{"http://etcd:2379"}, DialTimeout: 2 * time.Second, RequestTimeout: 500 * time.Millisecond}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseLocation(tt.loc, env(tt.env))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// A location that cannot be read is a usage error (exit 2) saying what is
// wrong; a password never comes back in it.
func TestParseLocation_Refused(t *testing.T) {
	tests := map[string]struct {
		loc  string
		env  map[string]string
		want string
	}{
		"password in userinfo":          {loc: "certflow:hunter2@etcd:2379", want: "a password in the location is refused"},
		"password as an option":         {loc: "etcd:2379?user=u&password=hunter2", want: "a password in the location is refused"},
		"unknown option":                {loc: "etcd:2379?cafile=/x", want: `unknown option "cafile"`},
		"option twice":                  {loc: "etcd:2379?ca=/a&ca=/b", want: `option "ca" given 2 times`},
		"empty host":                    {loc: "etcd-0:2379,,etcd-1:2379", want: "a host is empty"},
		"no host":                       {loc: "/certflow", want: "a host is empty"},
		"bad port":                      {loc: "etcd:99999", want: `"etcd:99999" is not HOST:PORT`},
		"cert without key":              {loc: "etcd:2379?cert=/c.crt", want: "set both cert= and key="},
		"tls=false with a ca":           {loc: "etcd:2379?tls=false&ca=/ca", want: "tls=false with ca="},
		"tls=maybe":                     {loc: "etcd:2379?tls=maybe", want: `tls="maybe": want true or false`},
		"user without password":         {loc: "u@etcd:2379", want: `user "u" has no password: set CERTFLOW_ETCD_PASSWORD`},
		"password-file without user":    {loc: "etcd:2379?password-file=/pw", want: "password-file= without a user"},
		"two users":                     {loc: "a@etcd:2379?user=b", env: map[string]string{PasswordEnv: "p"}, want: "two users"},
		"bad duration":                  {loc: "etcd:2379?request-timeout=soon", want: `request-timeout="soon"`},
		"negative duration":             {loc: "etcd:2379?dial-timeout=-1s", want: `dial-timeout="-1s"`},
		"malformed query (bad percent)": {loc: "etcd:2379?ca=%zz", want: "options:"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseLocation(tt.loc, env(tt.env))
			require.Error(t, err)
			assert.ErrorIs(t, err, cli.ErrUsage)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

// An unreadable password file is not a usage error, and its error names
// the path only.
func TestParseLocation_PasswordFileUnreadable(t *testing.T) {
	_, err := parseLocation("u@etcd:2379?password-file=/nonexistent/pw", env(nil))
	require.Error(t, err)
	assert.False(t, errors.Is(err, cli.ErrUsage))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "password-file")
}
