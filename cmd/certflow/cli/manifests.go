package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/manifest"
)

// source is one manifest file (or standard input) and its bytes.
type source struct {
	name string
	data []byte
}

// fileFlags is -f, repeatable, as kubectl's.
type fileFlags struct{ files []string }

func (f *fileFlags) register(cmd *cobra.Command, what string) {
	cmd.Flags().StringArrayVarP(&f.files, "filename", "f", nil, what+": a YAML or JSON file, a directory of them, or - for standard input")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
}

// read returns the manifests -f names: files, the .yaml, .yml and .json
// files of directories (not their subdirectories), or standard input.
func (f *fileFlags) read(stdin io.Reader) ([]source, error) {
	if len(f.files) == 0 {
		return nil, usagef("name the manifests with -f FILE (or -f - for standard input)")
	}
	var out []source
	for _, name := range f.files {
		if name == "-" {
			b, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("standard input: %w", err)
			}
			out = append(out, source{"<stdin>", b})
			continue
		}
		fi, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		names := []string{name}
		if fi.IsDir() {
			entries, err := os.ReadDir(name)
			if err != nil {
				return nil, err
			}
			names = names[:0]
			for _, e := range entries {
				switch strings.ToLower(filepath.Ext(e.Name())) {
				case ".yaml", ".yml", ".json":
					if !e.IsDir() {
						names = append(names, filepath.Join(name, e.Name()))
					}
				}
			}
			sort.Strings(names)
		}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				return nil, err
			}
			out = append(out, source{n, b})
		}
	}
	return out, nil
}

// problemLine renders one manifest problem as a compiler does:
// file:line: Kind "name": field: problem.
func problemLine(file string, e *manifest.DocumentError) string {
	var b strings.Builder
	b.WriteString(file)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Kind != "" {
		b.WriteString(string(e.Kind))
		if e.Name != "" {
			fmt.Fprintf(&b, " %q", e.Name)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "manifest: "))
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

// problems unpacks what manifest returns: its located problems, in line
// order, or any other error (input past the size limit) as it is.
func problems(err error) (manifest.Errors, error) {
	var errs manifest.Errors
	if err == nil {
		return nil, nil
	}
	if !errors.As(err, &errs) {
		return nil, err
	}
	return byLine(errs), nil
}

// byLine returns a copy of es in line order.
func byLine(es manifest.Errors) manifest.Errors {
	out := append(manifest.Errors(nil), es...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}
