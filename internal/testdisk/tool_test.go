package testdisk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTool(t *testing.T) {
	if p := Tool(t, "sgdisk"); filepath.Base(p) != "sgdisk" {
		t.Errorf("Tool(sgdisk) = %q", p)
	}
	// sh is installed everywhere but no package of the list provides it.
	r := record(t, func(tb testing.TB) { Tool(tb, "sh") })
	if !strings.Contains(r.fatal, "command sh is not in the package list") {
		t.Errorf("Tool(sh) failed with %q, want the package list named", r.fatal)
	}
}

func TestFindTool(t *testing.T) {
	list := func(cmd string) (string, bool) {
		if cmd == "sgdisk" {
			return "gdisk", true
		}
		return "", false
	}
	found := func(cmd string) (string, error) { return "/usr/sbin/" + cmd, nil }
	missing := func(cmd string) (string, error) { return "", errors.New("not found") }
	tests := []struct {
		name, cmd string
		look      func(string) (string, error)
		want      string
		wantErr   string
	}{
		{name: "listed and installed", cmd: "sgdisk", look: found, want: "/usr/sbin/sgdisk"},
		{name: "listed and missing", cmd: "sgdisk", look: missing, wantErr: "command sgdisk not found: apt-get install gdisk (or make deps)"},
		{name: "installed but not listed", cmd: "gdisk", look: found, wantErr: "command gdisk is not in the package list"},
		{name: "neither", cmd: "nope", look: missing, wantErr: "command nope is not in the package list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findTool(tc.cmd, list, tc.look)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("findTool(%s) = %q, %v; want error %q", tc.cmd, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("findTool(%s) = %q, %v; want %q", tc.cmd, got, err, tc.want)
			}
		})
	}
}

// TestLookPathSbin finds sbin tools for a user whose PATH lacks sbin.
func TestLookPathSbin(t *testing.T) {
	Tool(t, "sgdisk") // installed, or this test cannot say anything
	t.Setenv("PATH", t.TempDir())
	if p, err := lookPath("sgdisk"); err != nil || !strings.HasSuffix(p, "sbin/sgdisk") {
		t.Errorf("lookPath(sgdisk) with an empty PATH = %q, %v", p, err)
	}
	if p, err := lookPath("plinth-no-such-tool"); err == nil {
		t.Errorf("lookPath of a missing tool = %q, want an error", p)
	}
	// A directory of that name is not a tool.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sgdisk"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if p, err := lookPath("sgdisk"); err != nil || p == filepath.Join(dir, "sgdisk") {
		t.Errorf("lookPath(sgdisk) = %q, %v; want the sbin one", p, err)
	}
}
