// Package e2e holds certflow's end-to-end tests: they drive the whole chain
// (Issuer → Certificate → CertificateRequest → Order → Challenge → Secret)
// across packages through the public API only — a Manager on a memory or
// file Store against acmetest (Pebble in-process), a private CA, BIND and
// other DNS providers, several replica processes — plus the issuance
// benchmarks (BenchmarkACMEIssuance, BenchmarkCAIssuance).
//
// The Manager's own unit tests (work queue, timers, workers, garbage
// collection, status rendering, the import rules) and the budget simulation,
// which needs to know when the Manager is quiescent, stay in the root
// package. Shared harness pieces live in internal/testrig.
//
// The package holds no code besides its tests; it may import anything.
package e2e
