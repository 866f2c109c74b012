package replicatest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/manifest"
	"github.com/certflow/certflow/meta"
)

// Options configures a Cluster.
type Options struct {
	// Replicas is how many replicas Start starts. Required.
	Replicas int
	// Store returns the Store settings of replica i (handed to its Opener).
	// Required.
	Store func(i int) json.RawMessage
	// Dir holds the replicas' configuration files. Required.
	Dir string
	// Objects are applied by every replica once its Manager runs.
	Objects []meta.Object
	// CA, if set, is the ACME server the replicas trust.
	CA *acmetest.Server
	// Front, if set, learns where replicas answer and who presented what.
	Front *Front
	// Workers is each Manager's Workers. If zero, the Manager's default.
	Workers int
	// ShareWork is each Manager's ShareWork.
	ShareWork bool
	// LogLevel is the replicas' log level (see ChildConfig). If empty, warnings.
	LogLevel string
	// OnDemand, if set, turns on every replica's on-demand issuance.
	OnDemand *OnDemand
	// Command returns the command of a replica process, which must call
	// Child first thing. If nil, this executable is run again (a test
	// binary whose TestMain calls Child, or a program whose main does).
	Command func() *exec.Cmd
	// StopTimeout bounds a graceful stop before the replica is killed. If
	// zero, 30 seconds.
	StopTimeout time.Duration
	// Control, if set, returns the Control of replica i (nil: none), which
	// lets the test hold that replica's watch and claims.
	Control func(i int) *Control
}

// Cluster is a set of replica processes and everything they reported.
type Cluster struct {
	opts     Options
	manifest string

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every event or exit
	events   []Event
	replicas []*Replica

	seq atomic.Int64 // numbers the commands sent to replicas
}

// Replica is one replica process.
type Replica struct {
	Index int
	// HTTPPort serves HTTP-01 and TLSPort TLS, as the replica reported.
	HTTPPort, TLSPort int
	// Stderr holds what the process wrote to stderr (its log).
	Stderr *Buffer

	cmd     *exec.Cmd
	stdinMu sync.Mutex // one command line at a time
	stdin   io.WriteCloser
	exited  chan struct{}
	err     error // set before exited is closed
}

// Start starts opts.Replicas replicas and returns once every one reported
// that its Manager runs. On error, whatever started is stopped.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Replicas < 1 || opts.Store == nil || opts.Dir == "" {
		return nil, errors.New("replicatest: Options need Replicas, Store and Dir")
	}
	if opts.StopTimeout == 0 {
		opts.StopTimeout = 30 * time.Second
	}
	m, err := manifest.EncodeAll(opts.Objects...)
	if err != nil {
		return nil, fmt.Errorf("replicatest: encode objects: %w", err)
	}
	c := &Cluster{opts: opts, manifest: string(m), changed: make(chan struct{}), replicas: make([]*Replica, opts.Replicas)}
	// All at once, as a deployment starts its replicas: none runs alone
	// for long.
	waits := make([]func() error, opts.Replicas)
	for i := range opts.Replicas {
		if waits[i], err = c.launch(ctx, i); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	for _, wait := range waits {
		if err := wait(); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return c, nil
}

// StartReplica starts replica i (again, after it exited) and returns once
// it reported that its Manager runs.
func (c *Cluster) StartReplica(ctx context.Context, i int) (*Replica, error) {
	wait, err := c.launch(ctx, i)
	if err != nil {
		return nil, err
	}
	if err := wait(); err != nil {
		return nil, err
	}
	return c.Replica(i), nil
}

// launch starts the process of replica i and returns how to wait until it
// reported that its Manager runs.
func (c *Cluster) launch(ctx context.Context, i int) (func() error, error) {
	cfg := ChildConfig{
		Index: i, Store: c.opts.Store(i), Manifest: c.manifest,
		Workers: c.opts.Workers, ShareWork: c.opts.ShareWork, LogLevel: c.opts.LogLevel,
		OnDemand: c.opts.OnDemand,
	}
	if c.opts.Control != nil {
		cfg.Control = c.opts.Control(i)
	}
	if c.opts.CA != nil {
		cfg.CAPEM = string(c.opts.CA.TLSCertPEM())
	}
	if c.opts.Front != nil {
		cfg.DNSURL = c.opts.Front.DNSURL
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(c.opts.Dir, fmt.Sprintf("replica-%d.json", i))
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	if c.opts.Command != nil {
		cmd = c.opts.Command()
	} else {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command(exe)
	}
	cmd.Env = append(os.Environ(), EnvChild+"="+path)
	r := &Replica{Index: i, Stderr: &Buffer{}, cmd: cmd, exited: make(chan struct{})}
	cmd.Stderr = r.Stderr
	if r.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("replicatest: start replica %d: %w", i, err)
	}
	c.mu.Lock()
	c.replicas[i] = r
	c.mu.Unlock()
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var rep Report
			if json.Unmarshal(sc.Bytes(), &rep) != nil {
				continue // not a report: a stray line of the test framework
			}
			if rep.Type == ReportListening {
				r.HTTPPort, r.TLSPort = rep.HTTPPort, rep.TLSPort
				if c.opts.Front != nil {
					c.opts.Front.replicaUp(i, rep.HTTPPort, rep.TLSPort)
				}
				close(listening)
			}
			c.add(Event{Replica: i, At: time.Now(), Report: rep})
		}
		r.err = cmd.Wait()
		if c.opts.Front != nil {
			c.opts.Front.replicaDown(i)
		}
		close(r.exited)
		c.notify()
	}()
	return func() error {
		select {
		case <-listening:
			return nil
		case <-r.exited:
			return fmt.Errorf("replicatest: replica %d exited before it ran: %v\n%s", i, r.err, r.Stderr)
		case <-ctx.Done():
			r.kill()
			return fmt.Errorf("replicatest: replica %d did not start: %w\n%s", i, ctx.Err(), r.Stderr)
		}
	}, nil
}

func (c *Cluster) add(ev Event) {
	if c.opts.Front != nil {
		c.opts.Front.observe(ev)
	}
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	c.notify()
}

func (c *Cluster) notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.changed)
	c.changed = make(chan struct{})
}

// Replica returns replica i as last started.
func (c *Cluster) Replica(i int) *Replica {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replicas[i]
}

// Replicas returns every replica as last started.
func (c *Cluster) Replicas() []*Replica {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.replicas)
}

// Events returns every report received so far, in the order received.
func (c *Cluster) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

// Await blocks until cond holds for the reports received so far,
// re-checking on every report and every replica exit, or returns ctx's
// error.
func (c *Cluster) Await(ctx context.Context, cond func([]Event) bool) error {
	for {
		c.mu.Lock()
		events, changed := c.events, c.changed
		c.mu.Unlock()
		if cond(events) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// Close stops every replica still running (a graceful stop, then a kill
// after StopTimeout) and returns the errors of those that failed.
func (c *Cluster) Close() error {
	var errs []error
	for _, r := range c.Replicas() {
		if r == nil {
			continue
		}
		if err := r.Stop(c.opts.StopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("replica %d: %w\n%s", r.Index, err, r.Stderr))
		}
	}
	return errors.Join(errs...)
}

// send writes line (one command) to the replica's stdin.
func (r *Replica) send(line []byte) error {
	r.stdinMu.Lock()
	defer r.stdinMu.Unlock()
	_, err := r.stdin.Write(line)
	return err
}

// Exited is closed when the process has exited.
func (r *Replica) Exited() <-chan struct{} { return r.exited }

// Err is how the process exited; valid once Exited is closed.
func (r *Replica) Err() error {
	<-r.exited
	return r.err
}

// Kill sends SIGKILL and waits until the process is gone.
func (r *Replica) Kill() {
	r.kill()
	<-r.exited
}

func (r *Replica) kill() { _ = r.cmd.Process.Signal(syscall.SIGKILL) }

// Stop asks the replica to stop (by closing its stdin) and waits; past
// timeout it is killed. It returns the exit error of a replica that
// stopped by itself with one; a replica that was killed (by Kill, or here)
// is not an error of its own.
func (r *Replica) Stop(timeout time.Duration) error {
	_ = r.stdin.Close()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.exited:
	case <-t.C:
		r.Kill()
		return fmt.Errorf("did not stop within %v", timeout)
	}
	var exit *exec.ExitError
	if errors.As(r.err, &exit) && !exit.Exited() {
		return nil // killed by a signal: asked for
	}
	return r.err
}

// Buffer is a bytes buffer safe for concurrent writers.
type Buffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
