// Command scale measures a Manager holding many certificates (issue 11):
// it issues -n Certificates through one CA Issuer, checks that each name is
// served the moment its Certificate is Ready, counts the Store work that
// follows, watches memory, CPU and Store calls while nothing is due, and
// optionally measures a Manager restarting on the same Store. It prints a
// table.
//
//	go run ./cmd/scale                               # 100,000 on the memory store
//	go run ./cmd/scale -n 10000 -store file:///tmp/s -restart-after
//	go run ./cmd/scale -n 10000 -store file:///tmp/s -restart   # a populated store, in a new process
//	go run ./cmd/scale -copy-to /tmp/s                # 100,000 on the memory store, then copied to a file store
//	go run ./cmd/scale -idle 6m -settle 30s           # also a window once the burst's pages are returned (steady)
//
// Memory is the process's: set GOMEMLIMIT (and GOGC) in the environment as
// a program holding that many certificates would; the report names them.
// A limit of about 1.5-2x the live heap keeps the resident set near it
// (GOMEMLIMIT=700MiB at 20,000 on the memory store; docs/memory.md).
//
// The etcd store's twin is store/etcd/cmd/scale.
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
	"time"

	"github.com/certflow/certflow/cmd/scale/measure"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/memory"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		opts       measure.Options
		storeURL   = flag.String("store", "memory", "memory, or file://DIR (created if missing)")
		noSync     = flag.Bool("nosync", false, "file store: skip fsync (faster to populate; not durable)")
		quickOpen  = flag.Bool("quick-open", true, "file store: open quickly, file.Open's default (every file looked at only after a crash); false: with file.WithFullOpen")
		cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
		memProfile = flag.String("memprofile", "", "write a heap profile taken at the end of the idle window to this file")
		copyTo     = flag.String("copy-to", "", "memory store: afterwards, copy every object into a new file store in this directory (to measure a restart on with -restart)")
	)
	peakProfile := flag.String("memprofile-peak", "", "write a heap profile of the largest live heap during issuance (with -restart: during the restart) to this file")
	idleProfile := flag.String("idlecpuprofile", "", "write a CPU profile of the first idle window only to this file (not with -cpuprofile)")
	restartProfile := flag.String("cpuprofile-restart", "", "write a CPU profile of the restart, from the Store's Open until every name is served, to this file (not with -cpuprofile)")
	opts.Flags(flag.CommandLine, 100000, false)
	flag.Parse()

	open, err := opener(*storeURL, *noSync, *quickOpen)
	if err != nil {
		return err
	}
	if *copyTo != "" && *storeURL != "memory" {
		return errors.New("-copy-to needs -store memory")
	}
	if opts.RestartOnly && *storeURL == "memory" {
		return errors.New("-restart needs a persistent -store")
	}
	opts.Open = open
	opts.Progress = os.Stderr
	if *restartProfile != "" {
		if *cpuProfile != "" {
			return errors.New("-cpuprofile-restart and -cpuprofile cannot be combined")
		}
		f, err := os.Create(*restartProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.RestartProfile = f
	}
	if *idleProfile != "" {
		if *cpuProfile != "" {
			return errors.New("-idlecpuprofile and -cpuprofile cannot be combined")
		}
		f, err := os.Create(*idleProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.IdleProfile = f
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.HeapProfile = f
	}
	if *peakProfile != "" {
		f, err := os.Create(*peakProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.PeakHeapProfile = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := measure.Run(ctx, opts)
	if rep != nil {
		fmt.Printf("store: %s\n\n", *storeURL)
		rep.Print(os.Stdout)
	}
	if err != nil || *copyTo == "" {
		return err
	}
	return copyStore(ctx, open, *copyTo)
}

// copyStore copies the memory store open returns into a new file store in
// dir, without fsync (it is measured, not kept).
func copyStore(ctx context.Context, open func() (store.Store, func() error, error), dir string) error {
	from, _, err := open()
	if err != nil {
		return err
	}
	to, err := file.Open(dir, file.WithoutSync())
	if err != nil {
		return err
	}
	defer to.Close()
	began := time.Now()
	n, err := measure.Copy(ctx, from, to)
	fmt.Printf("\ncopied %d objects to %s in %v\n", n, dir, time.Since(began).Round(time.Millisecond))
	return err
}

// opener opens the Store a -store flag names.
func opener(url string, noSync, quickOpen bool) (func() (store.Store, func() error, error), error) {
	if url == "memory" {
		st := memory.New()
		return func() (store.Store, func() error, error) { return st, func() error { return nil }, nil }, nil
	}
	dir, ok := strings.CutPrefix(url, "file://")
	if !ok || dir == "" {
		return nil, fmt.Errorf("-store %q: want memory or file://DIR", url)
	}
	var fopts []file.Option
	if noSync {
		fopts = append(fopts, file.WithoutSync())
	}
	if !quickOpen {
		fopts = append(fopts, file.WithFullOpen())
	}
	return func() (store.Store, func() error, error) {
		st, err := file.Open(dir, fopts...)
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}, nil
}
