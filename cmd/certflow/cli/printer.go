package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/certflow/certflow/meta"
)

// Output formats of -o.
const (
	outTable = ""
	outWide  = "wide"
	outYAML  = "yaml"
	outJSON  = "json"
	outName  = "name"
)

var outputs = []string{outWide, outYAML, outJSON, outName}

func checkOutput(o string) error {
	if o == outTable {
		return nil
	}
	for _, v := range outputs {
		if o == v {
			return nil
		}
	}
	return usagef("unknown output format %q; want one of %s", o, strings.Join(outputs, ", "))
}

// newTabWriter aligns columns as kubectl's printers do.
func newTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 6, 4, 3, ' ', 0)
}

// printTable writes objs as `kubectl get` does: a header, one row each,
// a NAMESPACE column first when they come from every namespace.
func printTable(w io.Writer, res *resource, objs []map[string]any, withNamespace, wide bool, now time.Time) error {
	tw := newTabWriter(w)
	var header []string
	if withNamespace {
		header = append(header, "NAMESPACE")
	}
	header = append(header, "NAME")
	cols := make([]column, 0, len(res.columns))
	for _, c := range res.columns {
		if !c.wide || wide {
			cols = append(cols, c)
			header = append(header, c.name)
		}
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, o := range objs {
		var row []string
		if withNamespace {
			row = append(row, field("metadata", "namespace")(o, now))
		}
		row = append(row, field("metadata", "name")(o, now))
		for _, c := range cols {
			row = append(row, clean(c.value(o, now)))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// clean keeps a cell on one line and out of the column separators.
func clean(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// printObjects writes objs as YAML or JSON: one object when single, else a
// kubectl List.
func printObjects(w io.Writer, format string, objs []map[string]any, single bool) error {
	var v any
	if single && len(objs) == 1 {
		v = objs[0]
	} else {
		items := make([]any, len(objs))
		for i, o := range objs {
			items[i] = o
		}
		v = map[string]any{"apiVersion": "v1", "kind": "List", "items": items, "metadata": map[string]any{"resourceVersion": ""}}
	}
	j, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	if format == outJSON {
		_, err = fmt.Fprintf(w, "%s\n", j)
		return err
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		return err
	}
	_, err = w.Write(y)
	return err
}

// printNames writes kind.group/name, one a line.
func printNames(w io.Writer, objs []meta.Object) {
	for _, o := range objs {
		fmt.Fprintf(w, "%s/%s\n", resourceOf(o.GetKind()).qualified(false), o.GetMeta().Name)
	}
}
