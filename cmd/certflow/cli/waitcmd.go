package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

func (a *app) waitCommand() *cobra.Command {
	var (
		forWhat string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "wait KIND NAME... --for condition=TYPE[=STATUS] | --for create | --for delete",
		Short: "Wait for objects to reach a condition or go away, as kubectl wait does",
		Long: `Wait until each named object has the condition (status True unless given,
observed for its current spec), or exists (--for create), or no longer
exists (--for delete).
A CertificateRequest that failed or was denied, or a Certificate whose
spec is invalid, ends a wait for Ready with status 1: it will not get
there. Running out of time exits with status 3.`,
		Example: `  certflow apply -f certificate.yaml
  certflow wait certificate www --for condition=Ready --timeout 2m
  certflow wait cr www-1 --for condition=Approved
  certflow wait cr www-2 --for create  certflow wait certificate old --for delete`,
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: a.completeKindThenNames,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			want, err := parseFor(forWhat)
			if err != nil {
				return err
			}
			res, err := lookupKind(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			for _, name := range args[1:] {
				ref := meta.Ref{Kind: res.kind, Namespace: a.ns(), Name: name}
				if res.kind.ClusterScoped() {
					ref.Namespace = ""
				}
				obj := res.new()
				err := waitFor(ctx, s.st, ref, obj, timeout, func(exists bool) (bool, error) {
					switch {
					case want.deleted:
						return !exists, nil
					case want.created:
						return exists, nil
					case !exists:
						return false, nil // not yet, or gone and made again
					}
					return want.met(obj)
				})
				if err != nil {
					return err
				}
				what := "condition met"
				switch {
				case want.deleted:
					what = "deleted"
				case want.created:
					what = "created"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s/%s %s\n", res.qualified(false), name, what)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&forWhat, "for", "", "condition=TYPE[=STATUS], create or delete")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for each object")
	_ = cmd.RegisterFlagCompletionFunc("for", cobra.FixedCompletions([]string{"condition=Ready", "condition=Approved", "create", "delete"},
		cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// waitCondition is what --for asks for.
type waitCondition struct {
	created bool
	deleted bool
	typ     meta.ConditionType
	status  meta.ConditionStatus
}

func parseFor(s string) (waitCondition, error) {
	switch s {
	case "create":
		return waitCondition{created: true}, nil
	case "delete":
		return waitCondition{deleted: true}, nil
	}
	rest, ok := strings.CutPrefix(s, "condition=")
	if !ok || rest == "" {
		return waitCondition{}, usagef("--for: want condition=TYPE[=STATUS], create or delete, got %q", s)
	}
	typ, status, _ := strings.Cut(rest, "=")
	w := waitCondition{typ: meta.ConditionType(typ), status: meta.ConditionTrue}
	if status != "" {
		w.status = meta.ConditionStatus(status)
	}
	return w, nil
}

// met reads the condition off obj; it ends the wait with an error when
// obj can no longer get to Ready.
func (w waitCondition) met(obj meta.Object) (bool, error) {
	m, err := objectMap(obj)
	if err != nil {
		return true, err
	}
	gen, _ := lookup(m, "metadata", "generation")
	conds, _ := lookup(m, "status", "conditions")
	list, _ := conds.([]any)
	for _, c := range list {
		cm, _ := c.(map[string]any)
		if cm == nil || cm["type"] != string(w.typ) || cm["status"] != string(w.status) {
			continue
		}
		// A condition observed for an older spec says nothing of this one.
		if og := scalar(cm["observedGeneration"]); og == "" || og == "0" || og == scalar(gen) {
			return true, nil
		}
	}
	if w.typ == meta.ConditionReady && w.status == meta.ConditionTrue {
		if err := hopeless(obj); err != nil {
			return true, err
		}
	}
	return false, nil
}

// hopeless says why obj will not become Ready without a change, if so.
func hopeless(obj meta.Object) error {
	ref := meta.RefOf(obj)
	switch o := obj.(type) {
	case *request.CertificateRequest:
		if request.IsFinal(o) && !o.Status.Conditions.IsTrue(meta.ConditionReady) {
			why := "it failed"
			if c := o.Status.Conditions.Get(meta.ConditionReady); c != nil {
				why = c.Message
			}
			return fmt.Errorf("%s will not become Ready: %s", refName(ref), why)
		}
	case *certificate.Certificate:
		if c := o.Status.Conditions.Get(meta.ConditionReady); c != nil && c.Reason == certificate.ReasonInvalid &&
			c.ObservedGeneration == o.ObjectMeta.Generation {
			return fmt.Errorf("%s will not become Ready: %s", refName(ref), c.Message)
		}
	}
	return nil
}
