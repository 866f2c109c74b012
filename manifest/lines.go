package manifest

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// locator finds the input line of a field in one document. The JSON the
// decoder works on has no positions, so the document is parsed a second
// time into YAML nodes, which have them, and only when there is a problem
// to place: decoding a good manifest costs nothing more.
type locator struct {
	doc    document
	root   *yaml.Node // nil until parsed, or when the document does not parse
	parsed bool
}

// line returns the input line of path (a field path as problems name them,
// e.g. `spec.dnsNames[1]` or `metadata.labels["a/b"]`) in the document, or
// in its List item when item >= 0. A field that is absent is placed at its
// deepest present parent, since that is where it has to be added. It
// returns 0 when it cannot tell.
func (l *locator) line(item int, path string) int {
	if !l.parsed {
		l.parsed = true
		var n yaml.Node
		if yaml.Unmarshal(l.doc.body, &n) == nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			l.root = n.Content[0]
		}
	}
	if l.root == nil {
		return 0
	}
	segs, ok := splitPath(path)
	if !ok {
		return 0
	}
	if item >= 0 {
		segs = append([]segment{{key: "items"}, {index: item, isIndex: true}}, segs...)
	}
	node, line := l.root, 0
	for _, s := range segs {
		next, at := child(node, s)
		if next == nil {
			break
		}
		node, line = next, at
	}
	if line == 0 {
		return 0
	}
	return l.doc.line + line - 1
}

// child returns the node s names under n and the line it starts at (the
// key's line for a mapping member), or nil.
func child(n *yaml.Node, s segment) (*yaml.Node, int) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case s.isIndex && n.Kind == yaml.SequenceNode:
		if s.index < len(n.Content) {
			c := n.Content[s.index]
			return c, c.Line
		}
	case !s.isIndex && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value == s.key {
				return n.Content[i+1], k.Line
			}
		}
	}
	return nil, 0
}

// segment is one step of a field path: a member name or a list index.
type segment struct {
	key     string
	index   int
	isIndex bool
}

// splitPath parses the paths problems carry: names joined by dots, list
// indexes as [N], map keys that are not plain names as ["key"].
func splitPath(path string) ([]segment, bool) {
	var segs []segment
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil, false
			}
			inner := path[1:end]
			if strings.HasPrefix(inner, `"`) {
				// A quoted key may hold "]": find the closing quote first.
				q, err := strconv.QuotedPrefix(path[1:])
				if err != nil || !strings.HasPrefix(path[1+len(q):], "]") {
					return nil, false
				}
				key, _ := strconv.Unquote(q)
				segs = append(segs, segment{key: key})
				path = path[2+len(q):]
				continue
			}
			i, err := strconv.Atoi(inner)
			if err != nil {
				return nil, false
			}
			segs = append(segs, segment{index: i, isIndex: true})
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs = append(segs, segment{key: path[:end]})
			path = path[end:]
		}
	}
	return segs, true
}
