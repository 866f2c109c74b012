package certflow

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestREADME_GoBlocksCompileAsWritten compiles every Go block of the README
// as the whole file it is, as a package of its own inside the module (a
// block importing store/etcd inside that module of the workspace), without
// writing into the tree: the files are laid over it with -overlay.
func TestREADME_GoBlocksCompileAsWritten(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := goBlock.FindAllSubmatch(readme, -1)
	require.GreaterOrEqual(t, len(blocks), 4, "the README's examples are found")
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	tmp := t.TempDir()

	type compile struct {
		module, pkg string
		test        bool
	}
	replace := map[string]string{}
	var compiles []compile
	for i, b := range blocks {
		src := string(b[1])
		first, _, _ := strings.Cut(src, "\n")
		require.True(t, strings.HasPrefix(first, "package "), "block %d is a whole file:\n%s", i, src)
		c := compile{module: root, pkg: fmt.Sprintf("internal/readmeblock%d", i), test: strings.HasSuffix(first, "_test")}
		if strings.Contains(src, `"github.com/certflow/certflow/store/etcd"`) {
			c.module = filepath.Join(root, "store", "etcd")
		}
		name := "readme.go"
		if c.test {
			name = "readme_test.go"
		}
		file := filepath.Join(tmp, fmt.Sprintf("block%d.go", i))
		require.NoError(t, os.WriteFile(file, b[1], 0o600))
		replace[filepath.Join(c.module, filepath.FromSlash(c.pkg), name)] = file
		compiles = append(compiles, c)
	}
	overlay, err := json.Marshal(map[string]any{"Replace": replace})
	require.NoError(t, err)
	ov := filepath.Join(tmp, "overlay.json")
	require.NoError(t, os.WriteFile(ov, overlay, 0o600))

	for i, c := range compiles {
		// The package directory exists only in the overlay: go runs in
		// the module and names the package by its path.
		args := []string{"build", "-overlay", ov, "-o", os.DevNull, "./" + c.pkg}
		if c.test {
			args = []string{"test", "-vet=off", "-overlay", ov, "-c", "-o", os.DevNull, "./" + c.pkg}
		}
		cmd := exec.Command("go", args...)
		cmd.Dir = c.module
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "README Go block %d does not compile:\n%s\n%s", i, out, blocks[i][1])
	}
}
