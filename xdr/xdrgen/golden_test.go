package main

import (
	"bytes"
	"flag"
	"go/ast"
	"go/importer"
	goparser "go/parser"
	gotoken "go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCases are the inputs in testdata, one per feature of the generator.
// Each testdata/NAME.x has its generated Go in testdata/NAME.golden.
var goldenCases = []string{
	"arrays",
	"comments",
	"consts",
	"enums",
	"inline",
	"lists",
	"optional",
	"program",
	"structs",
	"typedefs",
	"unions",
}

// generateCase runs the generator over testdata/NAME.x, in a package
// named after the case.
func generateCase(t *testing.T, name string) (code, test []byte) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name+".x"))
	require.NoError(t, err)
	code, test, err = run(name+".x", string(src), name)
	require.NoError(t, err)
	return code, test
}

func TestGolden(t *testing.T) {
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			code, _ := generateCase(t, name)
			path := filepath.Join("testdata", name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, code, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create the golden files")
			require.Equal(t, string(want), string(code), "generated code differs from %s; run go test -update if the change is intended", path)
		})
	}
}

// TestGoldenInputsListed catches a testdata/NAME.x left out of goldenCases.
func TestGoldenInputsListed(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.x"))
	require.NoError(t, err)
	var names []string
	for _, in := range inputs {
		names = append(names, strings.TrimSuffix(filepath.Base(in), ".x"))
	}
	require.ElementsMatch(t, goldenCases, names)
}

// TestGoldenCompiles type-checks every golden file, together with the
// round-trip test the generator writes beside it, as a package of its own.
// Imports are read from the export data the go command builds (so this
// works offline and uses the build cache); the generated test's import of
// internal/xdrtest is allowed because go/types does not enforce the
// internal rule, which the real packages generated with -tests do follow.
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	imp := exportImporter(t)
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			golden, err := os.ReadFile(filepath.Join("testdata", name+".golden"))
			require.NoError(t, err)
			_, test := generateCase(t, name)
			files := map[string][]byte{
				name + "_gen.go":      golden,
				name + "_gen_test.go": test,
			}
			if use, ok := goldenUses[name]; ok {
				files[name+"_use.go"] = []byte("package " + name + "\n" + use)
			}
			typeCheck(t, imp, name, files)
		})
	}
}

// goldenUses holds Go code checked with a golden package, for what
// compiling the package alone would not show.
var goldenUses = map[string]string{
	// Constants above the int64 range must still be usable as uint64s.
	"consts": "var _ uint64 = UINT64_MAX\nvar _ uint64 = ALSO_UINT64_MAX\nvar _ int32 = MOST_NEGATIVE\n",
	// Lists are slices of their elements, without the link member.
	"lists": "var _ []Entry = Dirlist{}.Entries\nvar _ List = []Node{{Value: 1}}\nvar _ *Chain = HasChain{}.Head.Next\n",
}

// typeCheck parses and type-checks files as package pkg.
func typeCheck(t *testing.T, imp types.Importer, pkg string, files map[string][]byte) {
	t.Helper()
	fset := gotoken.NewFileSet()
	var parsed []*ast.File
	for name, src := range files {
		f, err := goparser.ParseFile(fset, name, src, goparser.ParseComments)
		require.NoError(t, err)
		require.Equal(t, pkg, f.Name.Name, "package name of %s", name)
		parsed = append(parsed, f)
	}
	var errs []string
	conf := types.Config{
		Importer: imp,
		Error:    func(err error) { errs = append(errs, err.Error()) },
	}
	_, _ = conf.Check(pkg, fset, parsed, nil)
	require.Empty(t, errs, "type errors in generated package %s", pkg)
}

// The packages generated code imports, for exportImporter.
var generatedImports = []string{
	"context",
	"github.com/nfskit/nfskit/rpc",
	"github.com/nfskit/nfskit/xdr",
	"github.com/nfskit/nfskit/internal/xdrtest",
	"math/rand/v2",
	"strconv",
	"testing",
}

// exportImporter returns an importer reading the compiler's export data
// for generatedImports and everything they depend on, as built by
// go list -export (offline, and from the build cache when it can).
func exportImporter(t *testing.T) types.Importer {
	t.Helper()
	gocmd, err := exec.LookPath("go") // go test puts GOROOT/bin first in PATH
	require.NoError(t, err)
	args := append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, generatedImports...)
	cmd := exec.Command(gocmd, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	exports := map[string]string{}
	for line := range strings.Lines(string(out)) {
		path, file, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && file != "" {
			exports[path] = file
		}
	}
	return importer.ForCompiler(gotoken.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, &os.PathError{Op: "import", Path: path, Err: os.ErrNotExist}
		}
		return os.Open(file)
	})
}
