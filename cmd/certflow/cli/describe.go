package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

func (a *app) describeCommand() *cobra.Command {
	var lf listFlags
	cmd := &cobra.Command{
		Use:   "describe KIND [NAME...]",
		Short: "Show objects in detail, as kubectl describe does",
		Long: `Show every field of the named objects (or of every object of the kind in
the namespace) in kubectl describe's layout, and their recent events.
A Secret shows the size of each data key, never the data.`,
		Example: `  certflow describe certificate www
  certflow describe clusterissuers
  certflow describe cr www-1 -n web`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeKindThenNames,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			sel, err := a.selection(args[0], args[1:], lf)
			if err != nil {
				return err
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			objs, ferr := s.fetch(cmd.Context(), sel)
			for i, o := range objs {
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout())
				}
				if err := describe(cmd.Context(), cmd.OutOrStdout(), s.m, o, time.Now()); err != nil {
					return err
				}
			}
			if len(objs) == 0 && ferr == nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "No resources found.")
			}
			return ferr
		}),
	}
	lf.register(cmd)
	return cmd
}

// describe writes one object as kubectl describe writes a custom
// resource: metadata first, then every other member with its name split
// into words ("dnsNames" reads "Dns Names"), then events.
func describe(ctx context.Context, w io.Writer, m *certflow.Manager, obj meta.Object, now time.Time) error {
	om, err := objectMap(obj)
	if err != nil {
		return err
	}
	md := obj.GetMeta()
	tw := newTabWriter(w)
	fmt.Fprintf(tw, "Name:\t%s\n", md.Name)
	if md.Namespace != "" {
		fmt.Fprintf(tw, "Namespace:\t%s\n", md.Namespace)
	}
	writeMap(tw, "Labels", md.Labels)
	writeMap(tw, "Annotations", md.Annotations)
	if s, ok := obj.(*secret.Secret); ok {
		fmt.Fprintf(tw, "\nType:\t%s\n\nData\n====\n", s.Type)
		keys := make([]string, 0, len(s.Data))
		for k := range s.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(tw, "%s:\t%d bytes\n", k, len(s.Data[k]))
		}
		return tw.Flush()
	}
	fmt.Fprintf(tw, "API Version:\t%s\nKind:\t%s\n", obj.GetKind().APIVersion(), obj.GetKind())
	rest := map[string]any{}
	for k, v := range om {
		switch k {
		case "apiVersion", "kind":
		case "metadata":
			md, _ := v.(map[string]any)
			meta := map[string]any{}
			for mk, mv := range md {
				switch mk {
				case "name", "namespace", "labels", "annotations":
				default:
					meta[mk] = mv
				}
			}
			rest["metadata"] = meta
		default:
			rest[k] = v
		}
	}
	addRenewalBasis(rest, obj)
	writeValue(tw, "", rest)
	events, err := eventsOf(ctx, m, meta.RefOf(obj))
	if err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(events) == 0 {
		_, err := fmt.Fprintln(w, "Events:  <none>")
		return err
	}
	fmt.Fprintln(w, "Events:")
	ew := newTabWriter(w)
	fmt.Fprintln(ew, "  Type\tReason\tAge\tMessage")
	fmt.Fprintln(ew, "  ----\t------\t----\t-------")
	for _, e := range events {
		age := humanDuration(now.Sub(e.Time))
		if e.Count > 1 { // aggregated, as kubectl shows it
			age = fmt.Sprintf("%s (x%d over %s)", age, e.Count, humanDuration(now.Sub(e.FirstTime)))
		}
		fmt.Fprintf(ew, "  %s\t%s\t%s\t%s\n", e.Type, e.Reason, age, clean(e.Message))
	}
	return ew.Flush()
}

// addRenewalBasis adds to a Certificate's status why its renewal time is
// what it is, which the stored status does not say.
func addRenewalBasis(rest map[string]any, obj meta.Object) {
	c, ok := obj.(*certificate.Certificate)
	st, _ := rest["status"].(map[string]any)
	if !ok || st == nil {
		return
	}
	if b := certificate.RenewalBasisOf(c); b != "" {
		st["renewalBasis"] = string(b) + ": " + b.Explain()
	}
}

// eventsOf returns the stored events of the object, as recorded by every
// Manager sharing the store.
func eventsOf(ctx context.Context, m *certflow.Manager, ref meta.Ref) ([]meta.Event, error) {
	return m.Events(ctx, ref)
}

func writeMap(w io.Writer, title string, m map[string]string) {
	if len(m) == 0 {
		fmt.Fprintf(w, "%s:\t<none>\n", title)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		label := ""
		if i == 0 {
			label = title + ":"
		}
		fmt.Fprintf(w, "%s\t%s=%s\n", label, k, m[k])
	}
}

// writeValue writes the members of an object in name order, nested
// objects and lists indented below their name.
func writeValue(w io.Writer, indent string, v any) {
	m, _ := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		label := indent + words(k) + ":"
		switch c := m[k].(type) {
		case map[string]any:
			if len(c) == 0 {
				continue
			}
			fmt.Fprintln(w, label)
			writeValue(w, indent+"  ", c)
		case []any:
			if len(c) == 0 {
				continue
			}
			fmt.Fprintln(w, label)
			for _, item := range c {
				if im, ok := item.(map[string]any); ok {
					writeValue(w, indent+"  ", im)
				} else {
					fmt.Fprintf(w, "%s  %s\n", indent, clean(scalar(item)))
				}
			}
		default:
			fmt.Fprintf(w, "%s\t%s\n", label, clean(scalar(c)))
		}
	}
}

// words turns a JSON member name into kubectl describe's label:
// "dnsNames" → "Dns Names", "issuerRef" → "Issuer Ref", "URL" → "URL".
func words(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case i == 0:
			b.WriteRune(unicode.ToUpper(r))
		case unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))):
			b.WriteRune(' ')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
