// Package testrig holds the test harness pieces shared by the root
// package's own tests and the end-to-end tests in e2e: resource builders
// (a CA key pair Secret, CA Issuer, Certificate), waits that re-check on
// every Store change, a run-until-cleanup lifecycle, and an acmetest rig
// that serves a Manager's HTTP-01 handler and TLS-ALPN-01 certificates on
// the ports the CA validates.
//
// It never imports the root package, so that the root's internal tests can
// import it; what needs the Manager type stays with each test package.
// Only tests import it.
package testrig
