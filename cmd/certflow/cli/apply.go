package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/manifest"
	"github.com/certflow/certflow/meta"
)

func (a *app) applyCommand() *cobra.Command {
	var ff fileFlags
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Create or update objects from manifests, as kubectl apply does",
		Long: `Create or update the objects of cert-manager manifests in the store; the
Manager running on it reconciles them. Manifests are checked first (as
certflow check does): if any object is invalid, every problem is printed
and nothing is written. An object without a namespace goes to --namespace;
one whose namespace differs from an explicit --namespace is refused.`,
		Example: `  certflow apply -f issuer.yaml -f certificate.yaml
  certflow apply -f manifests/
  cat certificate.yaml | certflow apply -f -`,
		Args: cobra.NoArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			srcs, err := ff.read(cmd.InOrStdin())
			if err != nil {
				return err
			}
			var objs []meta.Object
			bad := 0
			for _, src := range srcs {
				o, verr := manifest.Validate(src.data)
				ps, err := problems(verr)
				if err != nil {
					return fmt.Errorf("%s: %w", src.name, err)
				}
				for _, p := range ps {
					fmt.Fprintln(cmd.ErrOrStderr(), problemLine(src.name, p))
					bad++
				}
				objs = append(objs, o...)
			}
			if bad > 0 {
				return fmt.Errorf("%d problem(s) in the manifests; nothing was applied", bad)
			}
			for _, o := range objs {
				if err := a.placeNamespace(o); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			var errs []error
			for _, o := range objs {
				ref := meta.RefOf(o)
				// The Manager that reconciles o has the DNS-01 providers;
				// the command does not.
				var res certflow.ApplyResult
				if err := s.m.Apply(ctx, o, certflow.AnyDNS01Provider(), certflow.ReportResult(&res)); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", refName(ref), err))
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s/%s %s\n", resourceOf(ref.Kind).qualified(false), ref.Name, res)
			}
			return errors.Join(errs...)
		}),
	}
	ff.register(cmd, "the manifests to apply")
	return cmd
}

// placeNamespace puts an object without a namespace in the command's, as
// kubectl does, and refuses one that names another namespace than an
// explicit --namespace.
func (a *app) placeNamespace(o meta.Object) error {
	md := o.GetMeta()
	if o.GetKind().ClusterScoped() {
		md.Namespace = ""
		return nil
	}
	switch {
	case md.Namespace == "":
		md.Namespace = a.ns()
	case a.nsChanged && md.Namespace != a.namespace:
		return usagef("the namespace of %s %q is %q, not --namespace %q", o.GetKind(), md.Name, md.Namespace, a.namespace)
	}
	return nil
}
