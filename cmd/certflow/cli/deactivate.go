package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/meta"
)

func (a *app) deactivateAccountCommand() *cobra.Command {
	var cluster bool
	cmd := &cobra.Command{
		Use:   "deactivate-account ISSUER [--cluster]",
		Short: "Deactivate an ACME issuer's account at its CA",
		Long: `Deactivate the ACME account of an Issuer (or, with --cluster, a
ClusterIssuer) at its CA (RFC 8555 §7.3.6). The CA refuses every later
request of the account. The issuer reports Ready=False with reason
ACMEAccountDeactivated and registers no new account until its account key
Secret is replaced or deleted. Certificates already issued stay valid:
revoke them first if they must not be.

Exit status: 0 deactivated (or deactivated already); 1 it failed (no
registered account, the CA refused: calling again finishes the job);
2 usage.`,
		Example: `  certflow deactivate-account le -n web
  certflow deactivate-account letsencrypt --cluster`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeNames("issuers"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			ref := meta.Ref{Kind: meta.KindIssuer, Namespace: a.ns(), Name: args[0]}
			if cluster {
				ref = meta.Ref{Kind: meta.KindClusterIssuer, Name: args[0]}
			}
			if err := s.m.DeactivateAccount(ctx, ref); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deactivated the ACME account of %s\n", refName(ref))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&cluster, "cluster", false, "ISSUER is a ClusterIssuer")
	return cmd
}
