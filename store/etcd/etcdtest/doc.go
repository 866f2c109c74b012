// Package etcdtest runs a real etcd server inside the process, the way
// acmetest runs Pebble: for tests of code that uses an etcd store, and for
// examples that need an etcd without installing one.
//
//	srv := etcdtest.Start(t)
//	st, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints()})
//
// The server listens on two loopback ports chosen at start and kept across
// Stop and Restart, so a test can take etcd away from its clients and bring
// it back with the same data. Its logs are discarded unless WithLogger says
// otherwise.
package etcdtest
