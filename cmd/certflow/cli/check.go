package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/manifest"
)

func (a *app) checkCommand() *cobra.Command {
	var (
		ff     fileFlags
		strict bool
	)
	cmd := &cobra.Command{
		Use:   "check -f FILE",
		Short: "Validate manifests without a store",
		Long: `Validate manifests as a Manager would: their shape (YAML, kinds, field
types) and each object's own rules (a Certificate's names, durations, key;
an issuer's configuration; a request's CSR). Every problem is printed as
FILE:LINE: Kind "name": field: problem, and the status is 1 if there is
any. Fields certflow does not know (a cert-manager manifest has some) are
warnings; --strict makes them problems. No store is needed.`,
		Example: `  certflow check -f certificate.yaml
  certflow check -f manifests/ --strict
  kubectl get certificates -o yaml | certflow check -f -`,
		Args: cobra.NoArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			srcs, err := ff.read(cmd.InOrStdin())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			bad, warned := 0, 0
			for _, src := range srcs {
				objs, verr := manifest.Validate(src.data)
				found, err := problems(verr)
				if err != nil {
					return fmt.Errorf("%s: %w", src.name, err)
				}
				seen := map[string]bool{}
				for _, p := range found {
					seen[p.Error()] = true
				}
				_, serr := manifest.DecodeStrict(src.data)
				strictFound, _ := problems(serr) // the same input: any other error was Validate's
				var warnings manifest.Errors
				for _, p := range strictFound {
					if !seen[p.Error()] {
						warnings = append(warnings, p)
					}
				}
				if strict {
					found = byLine(append(found, warnings...))
					warnings = nil
				}
				for _, p := range found {
					fmt.Fprintln(out, problemLine(src.name, p))
				}
				for _, p := range warnings {
					fmt.Fprintln(out, "warning: "+problemLine(src.name, p)+" (certflow ignores it)")
				}
				bad += len(found)
				warned += len(warnings)
				if len(found) == 0 {
					fmt.Fprintf(out, "%s: %d object(s), valid\n", src.name, len(objs))
				}
			}
			if bad > 0 {
				return fmt.Errorf("%d problem(s) found", bad)
			}
			return nil
		}),
	}
	ff.register(cmd, "the manifests to check")
	cmd.Flags().BoolVar(&strict, "strict", false, "fields certflow does not know are problems, not warnings")
	return cmd
}
