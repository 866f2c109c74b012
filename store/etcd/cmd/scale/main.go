// Command scale is cmd/scale on the etcd store (issue 11): it starts an
// etcd member in this process (store/etcd/etcdtest), issues -n Certificates
// through one CA Issuer, watches the idle Manager, then measures a Manager
// restarting on the same etcd (a new client, the same member), and prints
// the table. The member's own memory and CPU count in the process's, unless
// it runs in a process of its own (-member-for, then -endpoints).
//
//	go run ./store/etcd/cmd/scale -n 10000
//	go run ./store/etcd/cmd/scale -n 10000 -dir /tmp/e           # the member's data stays in /tmp/e
//	go run ./store/etcd/cmd/scale -n 10000 -dir /tmp/e -restart # a populated member, in a new process
//	go run ./store/etcd/cmd/scale -dir /tmp/e -copy-from /tmp/s  # fill a new member from a file store, then -restart
//	go run ./store/etcd/cmd/scale -dir /tmp/e -member-for 1h     # only the member; prints its endpoint
//	go run ./store/etcd/cmd/scale -endpoints http://127.0.0.1:P -restart # the Manager alone, on that member
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
	"runtime/pprof"
	"strings"
	"syscall"
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
		member  = flag.Duration("member-for", 0, "only serve the member (in -dir) for at most this long, or until interrupted, printing its endpoint for another process's -endpoints")
		mprof   = flag.String("cpuprofile-member", "", "with -member-for: write a CPU profile of the member, from when it serves until it stops, to this file")
		remote  = flag.String("endpoints", "", "comma-separated client URLs of an etcd already running (-member-for): no member in this process, so its memory and CPU are the Manager's alone")
	)
	opts.Flags(flag.CommandLine, 10000, true)
	flag.Parse()
	if opts.RestartOnly && *dir == "" && *remote == "" {
		return errors.New("-restart needs the -dir of a populated member, or its -endpoints")
	}
	if *mprof != "" && *member == 0 {
		return errors.New("-cpuprofile-member profiles the member of -member-for")
	}
	if *remote != "" && (*dir != "" || *member != 0) {
		return errors.New("-endpoints names a member running elsewhere: not with -dir or -member-for")
	}
	if *from != "" && *dir == "" && *remote == "" {
		return errors.New("-copy-from needs the -dir or -endpoints of the member to fill")
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *member < 0 {
		return errors.New("-member-for is how long the member serves: not negative")
	}
	if *member != 0 {
		for name := range set {
			if !memberFlags[name] {
				return fmt.Errorf("-member-for only serves the member: run -%s in another process, with -endpoints", name)
			}
		}
	}
	if *remote != "" && set["quota"] {
		return errors.New("-quota sizes a member this process runs: not with -endpoints")
	}
	if *from != "" && *profile != "" {
		return errors.New("-cpuprofile-restart profiles a restart: not with -copy-from")
	}

	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.RestartProfile = f
	}
	// A plain kill ends the member as an interrupt does: its profile
	// written and its temporary directory removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	endpoints, where := strings.Split(*remote, ","), "at "+*remote
	if *remote == "" {
		eopts := []etcdtest.Option{etcdtest.WithQuota(*quota)}
		if *dir != "" {
			eopts = append(eopts, etcdtest.WithDir(*dir))
		}
		srv, err := etcdtest.New(eopts...)
		if err != nil {
			return err
		}
		defer srv.Close()
		if *member != 0 {
			return serveMember(ctx, srv, *member, *mprof)
		}
		endpoints, where = srv.Endpoints(), "embedded member in "+srv.Dir()
	}
	opts.Open = func() (store.Store, func() error, error) {
		st, err := etcd.Open(etcd.Config{Endpoints: endpoints})
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	opts.Progress = os.Stderr
	if *from != "" {
		return copyFrom(ctx, *from, opts.Open)
	}
	rep, err := measure.Run(ctx, opts)
	if rep != nil {
		fmt.Printf("store: etcd (%s)\n\n", where)
		rep.Print(os.Stdout)
	}
	return err
}

// memberFlags are the flags -member-for heeds: the member's own.
var memberFlags = map[string]bool{"member-for": true, "dir": true, "quota": true, "cpuprofile-member": true}

// serveMember serves srv's clients until ctx ends or d has passed, so
// that a Manager in another process can be measured without the member's
// memory and CPU in its own, profiling the member's CPU to the file
// profile names, if any.
func serveMember(ctx context.Context, srv *etcdtest.Server, d time.Duration, profile string) error {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("endpoints %s (member in %s, serving for at most %v)\n", strings.Join(srv.Endpoints(), ","), srv.Dir(), d)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	<-ctx.Done()
	return nil
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
