// Command scale is cmd/scale on the etcd store (issue 11): it starts an
// etcd member in this process (store/etcd/etcdtest), issues -n Certificates
// through one CA Issuer, watches the idle Manager, then measures a Manager
// restarting on the same etcd (a new client, the same member), and prints
// the table. The member's own memory and CPU count in the process's.
//
//	go run ./store/etcd/cmd/scale -n 10000
//	go run ./store/etcd/cmd/scale -n 10000 -dir /tmp/e           # the member's data stays in /tmp/e
//	go run ./store/etcd/cmd/scale -n 10000 -dir /tmp/e -restart # a populated member, in a new process
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/certflow/certflow/cmd/scale/measure"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		opts measure.Options
		dir  = flag.String("dir", "", "the etcd member's directory (default: a new temporary one, removed at exit)")
	)
	opts.Flags(flag.CommandLine, 10000, true)
	flag.Parse()
	if opts.RestartOnly && *dir == "" {
		return errors.New("-restart needs the -dir of a populated member")
	}

	var eopts []etcdtest.Option
	if *dir != "" {
		eopts = append(eopts, etcdtest.WithDir(*dir))
	}
	srv, err := etcdtest.New(eopts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	opts.Open = func() (store.Store, func() error, error) {
		st, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints()})
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	opts.Progress = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := measure.Run(ctx, opts)
	if rep != nil {
		fmt.Printf("store: etcd (embedded member in %s)\n\n", srv.Dir())
		rep.Print(os.Stdout)
	}
	return err
}
