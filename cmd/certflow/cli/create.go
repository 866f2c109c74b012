package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/manifest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

func (a *app) createCommand() *cobra.Command {
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create objects from other objects",
		Example: `  certflow create certificaterequest my-cr --from-certificate-file certificate.yaml`,
	}
	var (
		from, keyFile, certFile string
		fetch                   bool
		timeout                 time.Duration
	)
	cr := &cobra.Command{
		Use:     "certificaterequest NAME --from-certificate-file FILE",
		Aliases: []string{"cr"},
		Short:   "Create a CertificateRequest from a Certificate manifest, as cmctl does",
		Long: `Generate a private key as a Certificate manifest asks, write it to
NAME.key (mode 0600), and create a CertificateRequest NAME for the
Certificate's names and issuer. The Manager running on the store has it
approved and signed; with --fetch-certificate, wait for that and write the
signed chain to NAME.crt.`,
		Example: `  certflow create certificaterequest my-cr --from-certificate-file certificate.yaml
  certflow create cr my-cr --from-certificate-file certificate.yaml --fetch-certificate --timeout 2m
  certflow create cr my-cr --from-certificate-file certificate.yaml --output-key-file my.key`,
		Args: exactly(1, "the name of the CertificateRequest to create"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			switch {
			case from == "":
				return usagef("--from-certificate-file is required")
			case !fetch && certFile != "":
				return usagef("--output-certificate-file needs --fetch-certificate")
			}
			name := args[0]
			if keyFile == "" {
				keyFile = name + ".key"
			}
			if certFile == "" {
				certFile = name + ".crt"
			}
			if keyFile == certFile {
				return usagef("the key and the certificate cannot go to the same file %q", keyFile)
			}
			data, err := os.ReadFile(from)
			if err != nil {
				return err
			}
			objs, verr := manifest.Validate(data)
			ps, err := problems(verr)
			if err != nil {
				return fmt.Errorf("%s: %w", from, err)
			}
			if len(ps) > 0 {
				for _, p := range ps {
					fmt.Fprintln(cmd.ErrOrStderr(), problemLine(from, p))
				}
				return fmt.Errorf("%d problem(s) in %s", len(ps), from)
			}
			if len(objs) != 1 || objs[0].GetKind() != meta.KindCertificate {
				return fmt.Errorf("%s: want exactly one Certificate, found %d object(s)", from, len(objs))
			}
			c := objs[0].(*certificate.Certificate)
			if err := a.placeNamespace(c); err != nil {
				return err
			}
			req, key, err := certificate.NewManualRequest(c, name)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			// A key file is never overwritten (it may hold the key of an
			// earlier request), and not left behind when the request
			// cannot be created.
			if err := writeNew(keyFile, key); err != nil {
				return fmt.Errorf("writing the private key: %w", err)
			}
			if err := s.st.Create(ctx, req); err != nil {
				_ = os.Remove(keyFile)
				return fmt.Errorf("creating %s: %w", refName(meta.RefOf(req)), err)
			}
			stderr := cmd.ErrOrStderr()
			fmt.Fprintf(stderr, "Private key written to file %s\n", keyFile)
			ref := meta.RefOf(req)
			fmt.Fprintf(stderr, "CertificateRequest %s has been created in namespace %s\n", ref.Name, ref.Namespace)
			if !fetch {
				return nil
			}
			fmt.Fprintf(stderr, "CertificateRequest %s in namespace %s has not been signed yet. Wait until it is signed...\n", ref.Name, ref.Namespace)
			got := &request.CertificateRequest{}
			err = waitFor(ctx, s.st, ref, got, timeout, func(exists bool) (bool, error) {
				if !exists {
					return true, gone(ref)
				}
				if got.Status.Conditions.IsTrue(meta.ConditionReady) && len(got.Status.Certificate) > 0 {
					return true, nil
				}
				return false, hopeless(got)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "CertificateRequest %s in namespace %s has been signed\n", ref.Name, ref.Namespace)
			if err := os.WriteFile(certFile, got.Status.Certificate, 0o600); err != nil {
				return fmt.Errorf("writing the certificate: %w", err)
			}
			fmt.Fprintf(stderr, "Certificate written to file %s\n", certFile)
			return nil
		}),
	}
	cr.Flags().StringVar(&from, "from-certificate-file", "", "the Certificate manifest the request is made from")
	cr.Flags().StringVar(&keyFile, "output-key-file", "", "where the private key goes (default NAME.key)")
	cr.Flags().StringVar(&certFile, "output-certificate-file", "", "where the signed chain goes with --fetch-certificate (default NAME.crt)")
	cr.Flags().BoolVar(&fetch, "fetch-certificate", false, "wait until the request is signed and write the certificate")
	cr.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long --fetch-certificate waits")
	_ = cr.MarkFlagFilename("from-certificate-file", "yaml", "yml", "json")
	create.AddCommand(cr)
	return create
}

// writeNew writes data to a file that must not exist yet, readable by its
// owner only.
func writeNew(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(name)
		return err
	}
	return f.Close()
}
