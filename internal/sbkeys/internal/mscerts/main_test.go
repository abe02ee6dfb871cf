package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// committed is the directory go generate writes (see ../../microsoft.go).
const committed = "../../microsoft"

// TestRegenerate runs the generator on this machine's VARS image and
// compares its output with the committed files.
func TestRegenerate(t *testing.T) {
	testdisk.Tool(t, "dpkg-query") // the generator asks dpkg where the file came from
	out := t.TempDir()
	// A certificate left over from an earlier image must go.
	stale := filepath.Join(out, "KEK", "Old_2000-01-01.der")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(DefaultVars, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("%s is still there after regenerating", stale)
	}
	got, want := derFiles(t, out), derFiles(t, committed)
	if len(got) != len(want) {
		t.Errorf("generated %d certificates %v, committed %d %v", len(got), keys(got), len(want), keys(want))
	}
	for name, der := range want {
		if !bytes.Equal(got[name], der) {
			t.Errorf("%s: the committed file differs from what %s holds now: go generate ./internal/sbkeys", name, DefaultVars)
		}
	}
	readme, err := os.ReadFile(filepath.Join(committed, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The README records the image it was made from; when this machine
	// has that very image, regenerating must give the same README.
	sum := testdisk.SHA256(t, DefaultVars)
	if recorded := regexp.MustCompile("SHA-256 of the file \\| `([0-9a-f]{64})`").FindSubmatch(readme); recorded == nil {
		t.Error("the committed README records no SHA-256 of its VARS file")
	} else if string(recorded[1]) == hex.EncodeToString(sum[:]) {
		if fresh, _ := os.ReadFile(filepath.Join(out, "README.md")); !bytes.Equal(fresh, readme) {
			t.Errorf("the committed README.md differs from the one generated from the same file: go generate ./internal/sbkeys")
		}
	}
}

func derFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.der"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
	}
	return files
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}
