package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow"
)

// Exit statuses of the command.
const (
	ExitOK      = 0
	ExitFailed  = 1
	ExitUsage   = 2
	ExitTimeout = 3
)

// IO is where the command reads and writes, and the environment it sees.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment (CERTFLOW_STORE, CERTFLOW_NAMESPACE).
	// If nil, os.Getenv.
	Getenv func(string) string
}

// Main runs the command on os.Args with the process's standard streams,
// stopping at SIGINT or SIGTERM, and returns the exit status.
func Main(stores Stores) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], stores, IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
}

// Run runs the command with args (without the program name) and returns
// the exit status. Errors are written to io.Stderr.
func Run(ctx context.Context, args []string, stores Stores, streams IO) int {
	if streams.Getenv == nil {
		streams.Getenv = os.Getenv
	}
	a := &app{io: streams, stores: stores}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(streams.Stdin)
	root.SetOut(streams.Stdout)
	root.SetErr(streams.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if a.session != nil {
		if cerr := a.session.close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(streams.Stderr, "error: %v\n", err)
	var te *timeoutError
	switch {
	case errors.As(err, &te):
		return ExitTimeout
	case !a.running || isUsage(err):
		// cobra stops before RunE for an unknown command, flag or a wrong
		// number of arguments.
		if cmd != nil {
			fmt.Fprintf(streams.Stderr, "See '%s --help' for usage.\n", cmd.CommandPath())
		}
		return ExitUsage
	}
	return ExitFailed
}

// app is one run of the command: its streams, its flags and, once a verb
// needs it, its store and Manager.
type app struct {
	io      IO
	stores  Stores
	running bool // a verb's RunE has started: later errors are not usage errors

	storeURL  string
	namespace string
	nsChanged bool

	session *session
}

// usageError is a mistake in the command line found by a verb itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// ErrUsage is wrapped by a StoreOpener's error for a location it cannot
// read (a malformed URL, an unknown option): the command then exits with
// ExitUsage, as for any other mistake in the command line.
var ErrUsage = errors.New("usage")

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue) || errors.Is(err, ErrUsage)
}

// timeoutError is a wait that ran out of time.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string { return e.msg }

// run wraps a verb so that its errors are told from cobra's usage errors.
func (a *app) run(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.running = true
		return f(cmd, args)
	}
}

// open opens the store named by --store (or CERTFLOW_STORE) once and
// returns a Manager over it that is never run: the command reads and
// writes the Store, a running Manager elsewhere reconciles.
func (a *app) open(ctx context.Context) (*session, error) {
	if a.session != nil {
		return a.session, nil
	}
	loc := a.storeURL
	if loc == "" {
		loc = a.io.Getenv("CERTFLOW_STORE")
	}
	if loc == "" {
		return nil, usagef("no store: pass --store file://DIR or set CERTFLOW_STORE")
	}
	st, err := a.stores.open(ctx, loc)
	if err != nil {
		return nil, err
	}
	m, err := certflow.New(certflow.Config{Store: st})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	a.session = &session{st: st, m: m}
	return a.session, nil
}

// session is the opened store and the Manager over it.
type session struct {
	st Store
	m  *certflow.Manager
}

func (s *session) close() error { return s.st.Close() }

// ns is the namespace the verbs work in: --namespace, CERTFLOW_NAMESPACE,
// or "default", as kubectl.
func (a *app) ns() string {
	if a.nsChanged {
		return a.namespace
	}
	if v := a.io.Getenv("CERTFLOW_NAMESPACE"); v != "" {
		return v
	}
	return "default"
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "certflow",
		Short: "Inspect and drive certflow's certificates in a shared store",
		Long: `certflow reads and writes the objects of a certflow Store — Issuers,
ClusterIssuers, Certificates, CertificateRequests, Orders, Challenges and
Secrets — with cmctl's verbs and kubectl's habits. A Manager running in
another process on the same store reconciles what it writes.

The store is named by --store or $CERTFLOW_STORE:
  file://DIR     a file store directory (a bare path works too)
The namespace is --namespace, $CERTFLOW_NAMESPACE or "default".

Exit status:
  0  success
  1  the command failed: an object is missing or invalid, a renewal or a
     request failed, check found problems
  2  usage error: unknown command, flag, kind or argument; no store
  3  timed out waiting (wait, renew --wait,
     create certificaterequest --fetch-certificate)`,
		Example: `  export CERTFLOW_STORE=file:///var/lib/myapp/certflow
  certflow get certificates -A
  certflow status certificate www
  certflow renew www --wait`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err.Error()} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.storeURL, "store", "", "the store to work on: file://DIR (default $CERTFLOW_STORE)")
	pf.StringVarP(&a.namespace, "namespace", "n", "", `the namespace (default $CERTFLOW_NAMESPACE or "default")`)
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		a.nsChanged = cmd.Flags().Changed("namespace")
	}
	_ = root.RegisterFlagCompletionFunc("namespace", a.completeNamespaces)
	root.AddCommand(
		a.getCommand(),
		a.describeCommand(),
		a.statusCommand(),
		a.renewCommand(),
		a.decisionCommand(approval),
		a.decisionCommand(denial),
		a.inspectCommand(),
		a.applyCommand(),
		a.deleteCommand(),
		a.checkCommand(),
		a.createCommand(),
		a.waitCommand(),
		a.versionCommand(),
		a.revokeCommand(),
		a.deactivateAccountCommand(),
	)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  source <(certflow completion bash)
  certflow completion zsh > "${fpath[1]}/_certflow"
  certflow completion fish > ~/.config/fish/completions/certflow.fish`
		for _, sh := range c.Commands() {
			sh.Example = fmt.Sprintf("  certflow completion %s", sh.Name())
		}
	}
	return root
}

// exactly is cobra.ExactArgs that names what is missing.
func exactly(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("want %s, got %d argument(s): %s", what, len(args), strings.Join(args, " "))
		}
		return nil
	}
}
