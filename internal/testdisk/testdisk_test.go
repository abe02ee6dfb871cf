package testdisk

import (
	"strings"
	"testing"
)

func TestRunExit(t *testing.T) {
	truncate := Tool(t, "truncate")
	if out, code := RunExit(t, truncate); code != 1 || !strings.Contains(out, "you must specify either") {
		t.Errorf("truncate without arguments: exit %d, %q; want 1 and the C locale's message", code, out)
	}
	if out, code := RunExit(t, truncate, "-s", "1K", t.TempDir()+"/f"); code != 0 || out != "" {
		t.Errorf("truncate: exit %d, %q", code, out)
	}
	r := record(t, func(tb testing.TB) { RunExit(tb, "/nonexistent/tool") })
	if !strings.Contains(r.fatal, "/nonexistent/tool") {
		t.Errorf("a command that cannot run failed with %q", r.fatal)
	}
}

// TestUndo runs a failing undo twice: it runs once, and the failure is
// reported with the command and its output.
func TestUndo(t *testing.T) {
	truncate := Tool(t, "truncate")
	r := record(t, func(tb testing.TB) {
		u := &undo{t: tb, argv: []string{truncate, "--no-create"}}
		u.run()
		u.run()
	})
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], truncate+" --no-create: exit status 1") ||
		!strings.Contains(r.errors[0], "you must specify") {
		t.Errorf("errors %q, want one naming the command and its output", r.errors)
	}
}
