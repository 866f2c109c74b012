package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/manifest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func (a *app) deleteCommand() *cobra.Command {
	var (
		ff             fileFlags
		ignoreNotFound bool
	)
	cmd := &cobra.Command{
		Use:   "delete (KIND NAME... | -f FILE)",
		Short: "Delete objects, as kubectl delete does",
		Long: `Delete the named objects, or those the manifests name. Deleting a
Certificate deletes its requests, orders and challenges (a running Manager
cleans up presented challenges first) but keeps its Secret, as
cert-manager does. A Certificate annotated
acme.certflow.io/revoke-on-delete: "true" has its certificate revoked first
(reason cessationOfOperation) and its Secret deleted after, so the revoked
certificate is no longer served; a revocation that fails keeps the
Certificate: remove the annotation to delete it without revoking.`,
		Example: `  certflow delete certificate www
  certflow delete cr www-1 www-2 -n web
  certflow delete -f certificate.yaml --ignore-not-found`,
		ValidArgsFunction: a.completeKindThenNames,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			var refs []meta.Ref
			switch {
			case len(ff.files) > 0 && len(args) > 0:
				return usagef("name objects as KIND NAME... or with -f, not both")
			case len(ff.files) > 0:
				srcs, err := ff.read(cmd.InOrStdin())
				if err != nil {
					return err
				}
				for _, src := range srcs {
					objs, derr := manifest.Decode(src.data)
					ps, err := problems(derr)
					if err != nil {
						return fmt.Errorf("%s: %w", src.name, err)
					}
					if len(ps) > 0 {
						lines := make([]string, len(ps))
						for i, p := range ps {
							lines[i] = problemLine(src.name, p)
						}
						return errors.New(strings.Join(lines, "\n"))
					}
					for _, o := range objs {
						if err := a.placeNamespace(o); err != nil {
							return err
						}
						refs = append(refs, meta.RefOf(o))
					}
				}
			case len(args) >= 2:
				res, err := lookupKind(args[0])
				if err != nil {
					return err
				}
				for _, name := range args[1:] {
					ref := meta.Ref{Kind: res.kind, Namespace: a.ns(), Name: name}
					if res.kind.ClusterScoped() {
						ref.Namespace = ""
					}
					refs = append(refs, ref)
				}
			default:
				return usagef("name what to delete: KIND NAME... or -f FILE")
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			var errs []error
			for _, ref := range refs {
				err := s.m.Delete(ctx, ref)
				switch {
				case errors.Is(err, store.ErrNotFound):
					if !ignoreNotFound {
						errs = append(errs, notFound(ref))
					}
				case err != nil:
					errs = append(errs, fmt.Errorf("%s: %w", refName(ref), err))
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "%s %q deleted\n", resourceOf(ref.Kind).qualified(false), ref.Name)
				}
			}
			return errors.Join(errs...)
		}),
	}
	ff.register(cmd, "the manifests naming the objects to delete")
	cmd.Flags().BoolVar(&ignoreNotFound, "ignore-not-found", false, "an object that does not exist is not an error")
	return cmd
}
