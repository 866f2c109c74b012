package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

func (a *app) renewCommand() *cobra.Command {
	var (
		lf      listFlags
		all     bool
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "renew [NAME...] [--all]",
		Short: "Renew certificates now, as cmctl renew does",
		Long: `Mark certificates for renewal now, bypassing any failure backoff. The
Manager running on the store issues them. With --wait, wait until each one
is renewed (a new revision is issued and Ready) or its renewal fails.`,
		Example: `  certflow renew www
  certflow renew www api --wait --timeout 2m
  certflow renew --all -n web
  certflow renew --all -A -l app=web`,
		ValidArgsFunction: a.completeNames("certificates"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usagef("name the certificates to renew, or pass --all")
			}
			if !all && (lf.all || lf.selector != "") {
				return usagef("--all-namespaces and --selector go with --all")
			}
			sel, err := a.selection("certificates", args, lf)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			objs, ferr := s.fetch(ctx, sel)
			type pending struct {
				ref               meta.Ref
				revision, failure int
			}
			var todo []pending
			for _, o := range objs {
				c := o.(*certificate.Certificate)
				ref := meta.RefOf(c)
				if _, err := s.m.Renew(ctx, ref); err != nil {
					return errors.Join(ferr, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Manually triggered issuance of Certificate %s/%s\n", ref.Namespace, ref.Name)
				todo = append(todo, pending{ref, deref(c.Status.Revision), deref(c.Status.FailedIssuanceAttempts)})
			}
			if len(objs) == 0 && ferr == nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "No certificates found.")
			}
			if !wait {
				return ferr
			}
			errs := []error{ferr}
			for _, p := range todo {
				c, err := waitRenewed(ctx, s, p.ref, p.revision, p.failure, timeout)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Certificate %s/%s renewed: revision %d, expires %s\n", p.ref.Namespace, p.ref.Name,
					deref(c.Status.Revision), c.Status.NotAfter.UTC().Format(time.RFC3339))
			}
			return errors.Join(errs...)
		}),
	}
	lf.register(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "renew every certificate in the namespace (or, with -A, everywhere)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until each renewal is done or has failed")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long --wait waits for each certificate")
	return cmd
}

// waitRenewed waits until the Certificate is issued anew after a renewal
// triggered at revision (Ready for its current spec, with a higher
// revision), and fails when the issuance fails: its count of failed
// issuances passes failures (a failed renewal of a certificate that is
// still valid leaves it Ready, with no Issuing condition: the count is what
// tells), or its spec is invalid.
func waitRenewed(ctx context.Context, s *session, ref meta.Ref, revision, failures int, timeout time.Duration) (*certificate.Certificate, error) {
	c := &certificate.Certificate{}
	err := waitFor(ctx, s.st, ref, c, timeout, func(exists bool) (bool, error) {
		if !exists {
			return true, gone(ref)
		}
		gen := c.ObjectMeta.Generation
		ready := c.Status.Conditions.Get(meta.ConditionReady)
		issuing := c.Status.Conditions.Get(meta.ConditionIssuing)
		switch {
		case deref(c.Status.Revision) > revision && ready != nil && ready.Status == meta.ConditionTrue &&
			ready.ObservedGeneration == gen && issuing == nil:
			return true, nil
		case deref(c.Status.FailedIssuanceAttempts) > failures:
			return true, fmt.Errorf("Certificate %s/%s: renewal failed: %s", ref.Namespace, ref.Name, failureOf(ctx, s, c))
		case ready != nil && ready.Reason == certificate.ReasonInvalid && ready.ObservedGeneration == gen:
			return true, fmt.Errorf("Certificate %s/%s cannot be issued: %s", ref.Namespace, ref.Name, ready.Message)
		}
		return false, nil
	})
	return c, err
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// failureOf says why c's last issuance failed: its Issuing condition while
// it lasts, else the Ready message of the failed request it owns.
func failureOf(ctx context.Context, s *session, c *certificate.Certificate) string {
	if is := c.Status.Conditions.Get(meta.ConditionIssuing); is != nil && is.Status == meta.ConditionFalse {
		return is.Message
	}
	owner := meta.RefOf(c)
	reqs, _ := s.m.List(ctx, meta.KindCertificateRequest, certflow.ListOptions{Namespace: owner.Namespace})
	var last *request.CertificateRequest
	for _, o := range reqs {
		r := o.(*request.CertificateRequest)
		if !r.ObjectMeta.IsOwnedBy(owner) || r.Status.FailureTime == nil {
			continue
		}
		if last == nil || r.Status.FailureTime.After(*last.Status.FailureTime) {
			last = r
		}
	}
	if last == nil {
		return fmt.Sprintf("see certflow status certificate %s -n %s", owner.Name, owner.Namespace)
	}
	msg := "it failed"
	if ready := last.Status.Conditions.Get(meta.ConditionReady); ready != nil {
		msg = ready.Message
	}
	return fmt.Sprintf("The certificate request %q failed: %s", last.ObjectMeta.Name, msg)
}
