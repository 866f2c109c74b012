package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/meta"
)

func (a *app) revokeCommand() *cobra.Command {
	var (
		reason      string
		withCertKey bool
		wait        bool
		timeout     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "revoke NAME [--reason REASON] [--with-cert-key] [--wait]",
		Short: "Revoke a certificate at its ACME CA and issue a new one",
		Long: `Ask the ACME CA that issued the certificate in a Certificate's Secret to
revoke it, signed by the issuer's ACME account or, with --with-cert-key, by
the certificate's own private key (which works when the account is lost or
deactivated). The Certificate is then marked for re-issuance: the Manager
running on the store replaces the revoked certificate. With --wait, wait
until it has.

REASON is an RFC 5280 reason name or number: unspecified (default),
keyCompromise, affiliationChanged, superseded, cessationOfOperation, … (Let's
Encrypt accepts only these five). With rotationPolicy Never the new
certificate keeps the key, except after keyCompromise or --with-cert-key: a
compromised key is never reused. A CA takes a revocation signed by the
certificate's key as proof of compromise (Let's Encrypt records it as
keyCompromise and blocks the key, whatever --reason says), so with
--with-cert-key the key is marked compromised too. --with-cert-key checks
first that the Secret's key is the certificate's.

Exit status: 0 revoked (or the CA had revoked it already: said on stderr)
and re-issuance requested; 1 the revocation failed (not an ACME
certificate, no certificate in the Secret, a key that is not the
certificate's, issuer not ready, the CA refused); 2 usage (a bad reason, a wrong argument); 3 --wait timed out.`,
		Example: `  certflow revoke www
  certflow revoke www --reason keyCompromise --with-cert-key
  certflow revoke www -n web --reason superseded --wait --timeout 2m`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeNames("certificates"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			why, err := certflow.ParseRevocationReason(reason)
			if err != nil {
				return usagef("--reason: %v", err)
			}
			var opts []certflow.RevokeOption
			if withCertKey {
				opts = append(opts, certflow.WithCertificateKey())
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			ref := meta.Ref{Kind: meta.KindCertificate, Namespace: a.ns(), Name: args[0]}
			r, err := s.m.Revoke(ctx, ref, why, opts...)
			switch {
			case errors.Is(err, certflow.ErrAlreadyRevoked):
				fmt.Fprintf(cmd.ErrOrStderr(), "Certificate %s/%s: the CA had revoked it already\n", ref.Namespace, ref.Name)
			case err != nil:
				return err
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "Revoked the certificate of Certificate %s/%s (reason %s)\n", ref.Namespace, ref.Name, why)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Manually triggered issuance of Certificate %s/%s\n", ref.Namespace, ref.Name)
			if !wait {
				return nil
			}
			c, err := waitRenewed(ctx, s, ref, r.Revision-1, r.FailedAttempts, timeout)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Certificate %s/%s renewed: revision %d, expires %s\n", ref.Namespace, ref.Name,
				deref(c.Status.Revision), c.Status.NotAfter.UTC().Format(time.RFC3339))
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "unspecified", "the RFC 5280 revocation reason")
	cmd.Flags().BoolVar(&withCertKey, "with-cert-key", false, "sign with the certificate's private key instead of the ACME account (marks the key compromised)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the revoked certificate is replaced, or its renewal failed")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long --wait waits")
	return cmd
}
