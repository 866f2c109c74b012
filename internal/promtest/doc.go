// Package promtest runs a real Prometheus server (Debian's prometheus
// package: the prometheus and promtool binaries) for tests that check what
// Prometheus itself sees of certflow's metrics: Start scrapes one target
// every second on a loopback port, Query asks its HTTP API, and
// CheckMetrics runs `promtool check metrics` on an exposition.
//
// When prometheus or promtool is not installed the test is skipped, except
// under CI=true, where it fails: CI must install the package (.ci/run
// does). Only tests import it.
package promtest
