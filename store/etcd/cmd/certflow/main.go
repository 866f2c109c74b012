// Command certflow is the certflow command (cmd/certflow: cmctl's verbs
// with kubectl's habits) that also opens etcd stores, built in the etcd
// store's module so that the root module's command needs no etcd:
//
//	go install github.com/certflow/certflow/store/etcd/cmd/certflow@latest
//	export CERTFLOW_STORE='etcd://etcd-0:2379,etcd-1:2379/certflow?ca=/etc/etcd/ca.crt'
//	CERTFLOW_ETCD_PASSWORD=… certflow get certificates -A
//
// The location is etcd://[USER@]HOST:PORT[,HOST:PORT…][/PREFIX][?OPTION=VALUE&…]
// with the options tls, ca, cert, key, user, password-file, dial-timeout
// and request-timeout (see parseLocation). The password comes from the
// file password-file names or from CERTFLOW_ETCD_PASSWORD, never from the
// command line, where every user of the machine could read it.
package main

import (
	"os"

	"github.com/certflow/certflow/cmd/certflow/cli"
)

func main() { os.Exit(cli.Main(stores(os.Getenv))) }

// stores are the root command's stores and etcd://, reading the
// environment with getenv.
func stores(getenv func(string) string) cli.Stores {
	s := cli.DefaultStores()
	s["etcd"] = openEtcd(getenv)
	return s
}
