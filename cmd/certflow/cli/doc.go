// Package cli is the certflow command: cmctl's verbs and kubectl's habits
// over any Store a Manager can use. It reads and writes the Store only; a
// Manager running in another process (sharing the Store) reconciles what it
// writes, so the command never drives a CA itself.
//
// The command lives in a package, not in package main, so that a module
// which adds a Store the root module must not import (etcd) can build the
// same command with one more StoreOpener:
//
//	func main() {
//		os.Exit(cli.Main(cli.Stores{"file": cli.OpenFile, "etcd": openEtcd}))
//	}
//
// Exit status: 0 success; 1 the command failed (an object is missing or
// invalid, a renewal or a request failed, check found problems); 2 usage
// error (unknown command, flag, kind or argument, no store); 3 timed out
// waiting (wait, renew --wait, create certificaterequest --fetch-certificate).
package cli
