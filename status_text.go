package certflow

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/certflow/certflow/meta"
)

// String renders the tree for people, one resource per block, children
// indented under their parent, as `cmctl status certificate` reads.
func (n *StatusNode) String() string {
	var b strings.Builder
	n.write(&b, "")
	return b.String()
}

// WriteText writes String's rendering to w.
func (n *StatusNode) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, n.String())
	return err
}

// JSON renders the tree for tools.
func (n *StatusNode) JSON() ([]byte, error) { return json.MarshalIndent(n, "", "  ") }

func (n *StatusNode) write(b *strings.Builder, indent string) {
	name := n.Name
	if n.Namespace != "" {
		name = n.Namespace + "/" + n.Name
	}
	fmt.Fprintf(b, "%s%s %s: %s", indent, n.Kind, name, n.State)
	if n.Reason != "" {
		fmt.Fprintf(b, " (%s)", n.Reason)
	}
	b.WriteByte('\n')
	in := indent + "  "
	if n.Message != "" {
		fmt.Fprintf(b, "%s%s\n", in, n.Message)
	}
	for _, d := range n.Details {
		fmt.Fprintf(b, "%s%s: %s\n", in, d.Key, d.Value)
	}
	for _, c := range n.Conditions {
		if c.Type == meta.ConditionReady {
			continue
		}
		fmt.Fprintf(b, "%sCondition %s=%s (%s): %s\n", in, c.Type, c.Status, c.Reason, c.Message)
	}
	if len(n.Events) > 0 {
		fmt.Fprintf(b, "%sEvents:\n", in)
		for _, e := range n.Events {
			fmt.Fprintf(b, "%s  %s  %-7s %-18s %s\n", in, e.Time.UTC().Format(time.RFC3339), e.Type, e.Reason, e.Message)
		}
	}
	for _, c := range n.Children {
		c.write(b, in)
	}
}
