// Package etcdtest runs a real etcd server inside the process, the way
// acmetest runs Pebble: for tests of code that uses an etcd store, and (with
// New) for programs and examples that need an etcd without installing one.
//
//	srv := etcdtest.Start(t) // closed when the test ends
//	st, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints()})
//
// Clients reach the server through a small TCP proxy on a loopback port
// that stays the same for the server's life. Stop cuts every client
// connection at once and stops etcd, keeping its data; Restart starts it
// again on the same data behind the same endpoint, so a test can take etcd
// away from running clients for as long as it likes. Compact makes etcd
// forget old revisions. WithAuth turns on etcd's authentication, WithTLS
// serves TLS only with generated certificates (Server.TLS names the files)
// and requires client certificates.
//
// etcd's own logs are discarded unless WithLogger says otherwise. Close
// leaves no goroutine behind.
package etcdtest
