package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func (a *app) statusCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status KIND NAME",
		Short: "Show the tree below a certificate or issuer and where it is stuck",
		Long: `Show the tree below a Certificate — its issuer, Secret, requests, orders and
challenges — with each one's state, reason and recent events, as cmctl
status certificate does; for an issuer, the certificates that use it.
-o json prints the same tree for tools.`,
		Example: `  certflow status certificate www
  certflow status cert www -n web -o json
  certflow status clusterissuer letsencrypt`,
		Args:              exactly(2, "KIND NAME"),
		ValidArgsFunction: a.completeKindThenNames,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			if output != "" && output != "text" && output != outJSON {
				return usagef("unknown output format %q; want text or json", output)
			}
			res, err := lookupKind(args[0])
			if err != nil {
				return err
			}
			switch res.kind {
			case meta.KindCertificate, meta.KindIssuer, meta.KindClusterIssuer:
			default:
				return usagef("status shows certificates, issuers and clusterissuers, not %s", res.plural)
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			ref := meta.Ref{Kind: res.kind, Namespace: a.ns(), Name: args[1]}
			if res.kind.ClusterScoped() {
				ref.Namespace = ""
			}
			// Status draws a Missing node for an absent issuer; the root
			// itself must exist.
			if _, err := s.get(cmd.Context(), ref); err != nil && !errors.Is(err, store.ErrCorrupt) {
				return err
			}
			tree, err := s.m.Status(cmd.Context(), ref)
			if err != nil {
				return err
			}
			if output == outJSON {
				j, err := tree.JSON()
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", j)
				return err
			}
			return tree.WriteText(cmd.OutOrStdout())
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", outJSON}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
