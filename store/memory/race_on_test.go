//go:build race

package memory_test

// objectCensusCerts is how many certificates TestStore_ObjectsPerCertificate
// stores twice: fewer under the race detector, which makes each write ~10x slower.
const objectCensusCerts = 2000
