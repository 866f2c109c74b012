//go:build !race

package memory_test

// objectCensusCerts is how many certificates TestStore_ObjectsPerCertificate
// stores twice.
const objectCensusCerts = 5000
