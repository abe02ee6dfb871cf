package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPruneBusyboxes fills a cache directory with binaries used at
// different times, other names' binaries and a build's temporary file,
// and checks which ones pruning keeps.
func TestPruneBusyboxes(t *testing.T) {
	tests := []struct {
		name string
		keep int
		// files by name, each used this many hours ago
		files map[string]int
		want  []string
	}{
		{"fewer than keep", 3, map[string]int{"runtime-aa": 1, "runtime-bb": 2}, []string{"runtime-aa", "runtime-bb"}},
		{"oldest go", 2, map[string]int{"runtime-aa": 3, "runtime-bb": 1, "runtime-cc": 2, "runtime-dd": 9},
			[]string{"runtime-bb", "runtime-cc"}},
		{"other names and temporaries stay", 1,
			map[string]int{"runtime-aa": 1, "runtime-bb": 2, "installer-cc": 5, "installer-dd": 6, "runtime-ee.tmp": 9, "runtime-extra-ff": 9},
			[]string{"installer-cc", "installer-dd", "runtime-aa", "runtime-ee.tmp", "runtime-extra-ff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, hours := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
					t.Fatal(err)
				}
				used := time.Now().Add(-time.Duration(hours) * time.Hour)
				if err := os.Chtimes(p, used, used); err != nil {
					t.Fatal(err)
				}
			}
			if err := pruneBusyboxes(dir, "runtime", tt.keep); err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMarkUsed checks that a binary taken from the cache counts as just
// used, so that pruning keeps it over newer builds not used since.
func TestMarkUsed(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"runtime-old", "runtime-new"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, nil, 0o644)
		used := time.Now().Add(-time.Duration(2-i) * time.Hour)
		os.Chtimes(p, used, used)
	}
	markUsed(filepath.Join(dir, "runtime-old"))
	if err := pruneBusyboxes(dir, "runtime", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runtime-old")); err != nil {
		t.Errorf("the binary just used was pruned: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runtime-new")); err == nil {
		t.Error("the binary not used since it was built was kept")
	}
}
