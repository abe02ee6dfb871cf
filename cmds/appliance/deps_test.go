package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// notLinked are the packages the installed appliance must not contain:
// the installer's, and those that partition or format disks. A system
// that serves a product has no business wiping a disk, and code that is
// not linked cannot be reached by mistake.
var notLinked = map[string]string{
	"internal/installplan": "plans installs",
	"internal/install":     "installs",
	"internal/provision":   "writes whole disks",
	"internal/wizard":      "the installer's dialogue",
	"internal/gptdev":      "writes partition tables",
	"internal/ext4/mkext4": "formats ext4",
	"internal/vfat":        "formats FAT",
	"internal/sbenroll":    "enrolls Secure Boot keys",
}

// TestLinksNoDiskWriters lists the appliance's dependencies with the go
// tool and names every package of notLinked among them.
func TestLinksNoDiskWriters(t *testing.T) {
	if linked := forbiddenDeps(t, "."); len(linked) > 0 {
		t.Errorf("the appliance links packages it must not:\n\t%s", strings.Join(linked, "\n\t"))
	}
	// The check itself finds the writers in the disk tools.
	for dir, want := range map[string]string{"../gptpart": "internal/gptdev", "../mkfs-ext4": "internal/ext4/mkext4"} {
		if linked := forbiddenDeps(t, dir); !slices.ContainsFunc(linked, func(s string) bool {
			return strings.HasPrefix(s, "github.com/plinth-os/plinth/"+want+" ")
		}) {
			t.Errorf("the check does not find %s in %s: %q", want, dir, linked)
		}
	}
}

// forbiddenDeps returns the packages of notLinked that the package in
// dir depends on, each with the reason it is listed.
func forbiddenDeps(t *testing.T, dir string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list the dependencies: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", dir).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", dir, err)
	}
	const module = "github.com/plinth-os/plinth/"
	var linked []string
	for _, pkg := range strings.Fields(string(out)) {
		rel, ours := strings.CutPrefix(pkg, module)
		if why, ok := notLinked[rel]; ours && ok {
			linked = append(linked, pkg+" ("+why+")")
		}
	}
	return linked
}
