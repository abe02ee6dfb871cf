package codeshape

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function may be in the packages below.
const maxFuncLines = 80

// shortFuncDirs are the packages, relative to the module root, whose
// functions must read as a short list of named steps: the build pipeline
// and the installer.
var shortFuncDirs = []string{
	"uki",
	"iso",
	"initramfs",
	"kernel-config",
	"cmds/mkiso",
	"internal/install",
}

func TestFunctionsAreShort(t *testing.T) {
	root := moduleRoot(t)
	dirs := make([]string, len(shortFuncDirs))
	for i, d := range shortFuncDirs {
		dirs[i] = filepath.Join(root, d)
	}
	long, err := Longer(maxFuncLines, dirs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(long) > 0 {
		var b strings.Builder
		for _, f := range long {
			rel, _ := filepath.Rel(root, f.File)
			f.File = rel
			b.WriteString("\n\t" + f.String())
		}
		t.Errorf("%d functions are over %d lines; split them into named steps:%s", len(long), maxFuncLines, b.String())
	}
}

// moduleRoot returns the directory of the go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

func TestFuncs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", `package p

// one is documented; the comment does not count.
func one() {}

type T[P any] struct{}

func (t *T[P]) method() {
	_ = func() {
		_ = 1
	}
}

func (T[P]) value() int {
	return 0
}
`)
	write("b.go", "package p\n\nfunc two(\n\ta int,\n) {\n}\n\nfunc asm()\n")
	write("b_test.go", "package p\n\nfunc ignored() {\n}\n")
	write("notgo.txt", "func nope() {}\n")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("sub/c.go", "package sub\n\nfunc nested() {\n}\n")

	funcs, err := Funcs(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name        string
		line, lines int
	}{
		{"one", 4, 1},
		{"T.method", 8, 5},
		{"T.value", 14, 3},
		{"two", 3, 4},
	}
	if len(funcs) != len(want) {
		t.Fatalf("Funcs = %v, want %d functions", funcs, len(want))
	}
	for i, w := range want {
		if f := funcs[i]; f.Name != w.name || f.Line != w.line || f.Lines != w.lines {
			t.Errorf("func %d = %s (line %d, %d lines), want %s (line %d, %d lines)", i, f.Name, f.Line, f.Lines, w.name, w.line, w.lines)
		}
	}

	long, err := Longer(3, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(long) != 2 || long[0].Name != "T.method" || long[1].Name != "two" {
		t.Errorf("Longer(3) = %v, want T.method then two", long)
	}
	if _, err := Funcs(filepath.Join(dir, "missing")); err == nil {
		t.Error("Funcs on a missing directory succeeded")
	}
	write("bad.go", "package p\nfunc {\n")
	if _, err := Funcs(dir); err == nil {
		t.Error("Funcs on unparsable source succeeded")
	}
}
