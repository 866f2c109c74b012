package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// decision is one of the two verbs a person decides on a request with.
type decision struct {
	verb, past string
	// then says what the Manager does next.
	then   string
	decide func(req *request.CertificateRequest, reason, message string, now time.Time) error
}

var (
	approval = decision{"approve", "approved", "signs it", request.Approve}
	denial   = decision{"deny", "denied", "fails it, and its Certificate counts a failed issuance", request.Deny}
)

// decisionCommand is cmctl's approve or deny.
func (a *app) decisionCommand(d decision) *cobra.Command {
	var reason, message string
	title := strings.ToUpper(d.verb[:1]) + d.verb[1:]
	cmd := &cobra.Command{
		Use:   d.verb + " NAME",
		Short: fmt.Sprintf("%s a CertificateRequest, as cmctl %s does", title, d.verb),
		Long: fmt.Sprintf(`Mark a CertificateRequest %s, with a reason and a message. A decision is
final: a request already approved or denied is refused. The Manager
running on the store then %s.`, d.past, d.then),
		Example: fmt.Sprintf(`  certflow %[1]s www-1 --reason Reviewed --message "checked by ops"
  certflow %[1]s www-1 -n web`, d.verb),
		Args:              exactly(1, "the name of one CertificateRequest"),
		ValidArgsFunction: a.completeNames("certificaterequests"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return usagef("--reason must not be empty")
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			ref := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: a.ns(), Name: args[0]}
			for attempt := 0; ; attempt++ {
				obj, err := s.get(ctx, ref)
				if err != nil {
					return err
				}
				req := obj.(*request.CertificateRequest)
				if err := d.decide(req, reason, message, time.Now()); err != nil {
					return err
				}
				err = s.st.Update(ctx, req)
				if errors.Is(err, store.ErrConflict) && attempt < 10 {
					continue // the Manager wrote meanwhile: decide on what it wrote
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s CertificateRequest '%s/%s'\n", strings.ToUpper(d.past[:1])+d.past[1:], ref.Namespace, ref.Name)
				return nil
			}
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "certflow", "the reason recorded on the condition")
	cmd.Flags().StringVar(&message, "message", fmt.Sprintf("manually %s by \"certflow\"", d.past), "the message recorded on the condition")
	return cmd
}
