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
// indented under their parent, as `cmctl status certificate` reads. No
// line says again what the lines above it said: a node's message shows
// once, and a condition or event that only repeats it shows without it.
func (n *StatusNode) String() string {
	var b strings.Builder
	n.write(&b, "", &said{})
	return b.String()
}

// WriteText writes String's rendering to w.
func (n *StatusNode) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, n.String())
	return err
}

// JSON renders the tree for tools.
func (n *StatusNode) JSON() ([]byte, error) { return json.MarshalIndent(n, "", "  ") }

// said holds the messages written so far.
type said struct{ msgs []string }

// covers reports whether msg is part of a message already written.
func (s *said) covers(msg string) bool {
	for _, m := range s.msgs {
		if strings.Contains(m, msg) {
			return true
		}
	}
	return false
}

// write renders n below indent.
func (n *StatusNode) write(b *strings.Builder, indent string, shown *said) {
	name := n.Name
	if n.Namespace != "" {
		name = n.Namespace + "/" + n.Name
	}
	fmt.Fprintf(b, "%s%s %s: %s", indent, n.Kind, name, n.State)
	if n.Reason != "" {
		fmt.Fprintf(b, " (%s)", n.Reason)
	}
	if n.Failed {
		b.WriteString(" [failed]")
	}
	b.WriteByte('\n')
	in := indent + "  "
	// A failure's message carries its cause's (a request's, the CA's):
	// the top one says it all, the ones below add nothing.
	if n.Message != "" && !shown.covers(n.Message) {
		fmt.Fprintf(b, "%s%s\n", in, n.Message)
		shown.msgs = append(shown.msgs, n.Message)
	}
	for _, d := range n.Details {
		fmt.Fprintf(b, "%s%s: %s\n", in, d.Key, d.Value)
	}
	for _, c := range n.Conditions {
		if c.Type == meta.ConditionReady {
			continue // it is the node's state, reason and message
		}
		line := fmt.Sprintf("%sCondition %s=%s (%s)", in, c.Type, c.Status, c.Reason)
		if msg := n.unlessSaid(c.Message, shown); msg != "" {
			line += ": " + msg
		}
		b.WriteString(line + "\n")
	}
	if len(n.Events) > 0 {
		fmt.Fprintf(b, "%sEvents:\n", in)
		for _, e := range n.Events {
			line := fmt.Sprintf("%s  %s  %-7s %-18s", in, e.Time.UTC().Format(time.RFC3339), e.Type, e.Reason)
			if msg := n.unlessSaid(e.Message, shown); msg != "" {
				line += " " + msg
			}
			b.WriteString(strings.TrimRight(line+repeats(e), " ") + "\n")
		}
	}
	for _, c := range n.Children {
		c.write(b, in, shown)
	}
}

// unlessSaid returns msg, or nothing when a message written before (the
// node's own, or one above it) already says it.
func (n *StatusNode) unlessSaid(msg string, shown *said) string {
	if shown.covers(msg) || strings.Contains(n.Message, msg) {
		return ""
	}
	return msg
}

// repeats says how often an aggregated event happened, as kubectl does.
func repeats(e meta.Event) string {
	if e.Count <= 1 {
		return ""
	}
	return fmt.Sprintf(" (x%d since %s)", e.Count, e.FirstTime.UTC().Format(time.RFC3339))
}
