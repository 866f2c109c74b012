package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/meta"
)

// listFlags are the flags of the verbs that work on many objects.
type listFlags struct {
	all      bool
	selector string
}

func (f *listFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVarP(&f.all, "all-namespaces", "A", false, "every namespace")
	cmd.Flags().StringVarP(&f.selector, "selector", "l", "", "only objects with these labels (key=value[,key=value])")
}

// selection reads what the verb is asked to work on.
func (a *app) selection(kind string, names []string, f listFlags) (selection, error) {
	res, err := lookupKind(kind)
	if err != nil {
		return selection{}, err
	}
	labels, err := parseSelector(f.selector)
	if err != nil {
		return selection{}, err
	}
	if len(names) > 0 && (f.all || labels != nil) {
		return selection{}, usagef("name objects, or select them with --all-namespaces/--selector, not both")
	}
	sel := selection{res: res, names: names, ns: a.ns(), labels: labels}
	if f.all || res.kind.ClusterScoped() {
		sel.ns = ""
	}
	return sel, nil
}

func (a *app) getCommand() *cobra.Command {
	var (
		lf     listFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "get KIND [NAME...]",
		Short: "List objects of one kind, as kubectl get does",
		Long: `List objects of one kind: certificates (cert), issuers, clusterissuers,
certificaterequests (cr), orders, challenges or secrets. Columns follow
cert-manager's; -o wide adds more, -o yaml|json prints the objects (not
for secrets: use inspect secret), -o name prints kind/name.`,
		Example: `  certflow get certificates
  certflow get cert www -o yaml
  certflow get certificaterequests -A -o wide
  certflow get certs -l app=web -o name`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeKindThenNames,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			sel, err := a.selection(args[0], args[1:], lf)
			if err != nil {
				return err
			}
			if sel.res.kind == meta.KindSecret && (output == outYAML || output == outJSON) {
				return usagef("secret data is not printed; use 'certflow inspect secret NAME'")
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			objs, ferr := s.fetch(cmd.Context(), sel)
			if ferr != nil && len(objs) == 0 {
				return ferr // not "No resources found": nothing could be read
			}
			if err := a.print(cmd, sel, objs, output, len(args) == 2); err != nil {
				return err
			}
			return ferr
		}),
	}
	lf.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: wide, yaml, json or name")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputs, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) print(cmd *cobra.Command, sel selection, objs []meta.Object, output string, single bool) error {
	out := cmd.OutOrStdout()
	if output == outName {
		printNames(out, objs)
		return nil
	}
	maps := make([]map[string]any, 0, len(objs))
	for _, o := range objs {
		m, err := objectMap(o)
		if err != nil {
			return err
		}
		maps = append(maps, m)
	}
	switch output {
	case outYAML, outJSON:
		return printObjects(out, output, maps, single)
	}
	if len(maps) == 0 {
		if len(sel.names) == 0 {
			where := ""
			if sel.ns != "" {
				where = fmt.Sprintf(" in %s namespace", sel.ns)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "No resources found%s.\n", where)
		}
		return nil
	}
	return printTable(out, sel.res, maps, sel.ns == "" && !sel.res.kind.ClusterScoped(), output == outWide, time.Now())
}
