// Command scale is cmd/scale on the etcd store (issue 11): it starts an
// etcd member in this process (store/etcd/etcdtest), issues -n Certificates
// through one CA Issuer, watches the idle Manager, then measures a Manager
// restarting on the same etcd (a new client, the same member), and prints
// the table. The member's own memory and CPU count in the process's.
//
//	go run ./store/etcd/cmd/scale -n 10000
//	go run ./store/etcd/cmd/scale -n 10000 -dir /tmp/e           # the member's data stays in /tmp/e
//	go run ./store/etcd/cmd/scale -n 10000 -dir /tmp/e -restart # a populated member, in a new process
//	go run ./store/etcd/cmd/scale -dir /tmp/e -copy-from /tmp/s  # fill a new member from a file store, then -restart
//
// -copy-from fills the member with every object of a file store (one cmd/scale
// populated, or copied to with -copy-to), 64 Creates at a time, and exits:
// issuing 100k certificates on etcd itself takes most of an hour.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/certflow/certflow/cmd/scale/measure"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/file"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		opts    measure.Options
		dir     = flag.String("dir", "", "the etcd member's directory (default: a new temporary one, removed at exit)")
		from    = flag.String("copy-from", "", "copy every object of the file store in this directory into the member (-dir) and exit")
		profile = flag.String("cpuprofile-restart", "", "write a CPU profile of the restart, from the Store's Open until every name is served, to this file")
		quota   = flag.Int64("quota", 8<<30, "the member's backend quota in bytes (etcd's default, 2 GiB, is too small for 100k certificates)")
	)
	opts.Flags(flag.CommandLine, 10000, true)
	flag.Parse()
	if opts.RestartOnly && *dir == "" {
		return errors.New("-restart needs the -dir of a populated member")
	}

	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.RestartProfile = f
	}
	if *from != "" && *dir == "" {
		return errors.New("-copy-from needs the -dir to fill")
	}
	eopts := []etcdtest.Option{etcdtest.WithQuota(*quota)}
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
	if *from != "" {
		return copyFrom(ctx, *from, opts.Open)
	}
	rep, err := measure.Run(ctx, opts)
	if rep != nil {
		fmt.Printf("store: etcd (embedded member in %s)\n\n", srv.Dir())
		rep.Print(os.Stdout)
	}
	return err
}

// copyFrom copies every object of the file store in dir into the Store
// open opens.
func copyFrom(ctx context.Context, dir string, open func() (store.Store, func() error, error)) error {
	src, err := file.Open(dir)
	if err != nil {
		return err
	}
	defer src.Close()
	to, closeTo, err := open()
	if err != nil {
		return err
	}
	defer closeTo()
	began := time.Now() // a measurement printed for the operator, not a decision
	n, err := measure.CopyParallel(ctx, src, to, 64)
	fmt.Printf("copied %d objects from %s in %v\n", n, dir, time.Since(began).Round(time.Millisecond))
	return err
}
