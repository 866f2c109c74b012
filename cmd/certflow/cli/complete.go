package cli

import (
	"sort"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow"
)

// Shell completion: cobra writes the scripts (certflow completion bash|zsh|
// fish|powershell) and asks these functions for kinds, names and
// namespaces, which they read from the store the command line names.

// completeKindThenNames completes a kind first, then names of that kind.
func (a *app) completeKindThenNames(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return kindNames(), cobra.ShellCompDirectiveNoFileComp
	}
	return a.names(cmd, args[0], args[1:])
}

// completeNames completes names of one kind.
func (a *app) completeNames(kind string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		return a.names(cmd, kind, args)
	}
}

func (a *app) names(cmd *cobra.Command, kind string, taken []string) ([]string, cobra.ShellCompDirective) {
	res, err := lookupKind(kind)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	s, err := a.open(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ns := a.namespaceForCompletion(cmd)
	if res.kind.ClusterScoped() {
		ns = ""
	}
	objs, _ := s.m.List(cmd.Context(), res.kind, certflow.ListOptions{Namespace: ns})
	done := map[string]bool{}
	for _, t := range taken {
		done[t] = true
	}
	var out []string
	for _, o := range objs {
		if n := o.GetMeta().Name; !done[n] {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeNamespaces offers the namespaces that hold objects.
func (a *app) completeNamespaces(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	s, err := a.open(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	seen := map[string]bool{}
	for _, r := range resources {
		objs, _ := s.m.List(cmd.Context(), r.kind, certflow.ListOptions{})
		for _, o := range objs {
			if ns := o.GetMeta().Namespace; ns != "" {
				seen[ns] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// namespaceForCompletion is ns() once flags are parsed for completion.
func (a *app) namespaceForCompletion(cmd *cobra.Command) string {
	a.nsChanged = cmd.Flags().Changed("namespace")
	return a.ns()
}
