package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of certflow this command was built from",
		Example: `  certflow version`,
		Args:    cobra.NoArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			v := "(unknown)"
			if bi, ok := debug.ReadBuildInfo(); ok {
				v = bi.Main.Version
				for _, dep := range bi.Deps {
					if dep.Path == "github.com/certflow/certflow" { // built in another module (etcd)
						v = dep.Version
					}
				}
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "certflow %s\n", v)
			return err
		}),
	}
}
