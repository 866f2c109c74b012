package promtest

import (
	"os"
	"os/exec"
	"testing"
)

// Binaries are the paths of the Prometheus server and of promtool.
type Binaries struct{ Prometheus, Promtool string }

// Require returns the binaries, skipping the test when one is missing, or
// failing it when CI=true.
func Require(t testing.TB) Binaries {
	t.Helper()
	return requireBinaries(t, lookPath("prometheus"), lookPath("promtool"), os.Getenv("CI") == "true")
}

func lookPath(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}

func requireBinaries(t testing.TB, prometheus, promtool string, ci bool) Binaries {
	t.Helper()
	if prometheus != "" && promtool != "" {
		return Binaries{Prometheus: prometheus, Promtool: promtool}
	}
	const msg = "promtest: prometheus or promtool not found; install them with: apt-get install -y --no-install-recommends prometheus"
	if ci {
		t.Fatal(msg + " (CI=true: a missing Prometheus fails the test)")
		return Binaries{}
	}
	t.Skip(msg)
	return Binaries{}
}
