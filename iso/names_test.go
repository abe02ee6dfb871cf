package iso

import (
	"slices"
	"strings"
	"testing"
)

func TestISOName(t *testing.T) {
	tests := []struct {
		name string
		dir  bool
		seq  int
		want string
	}{
		{"manifest.json", false, 0, "MANIFEST.JSO;1"},
		{"manifest.json", false, 1, "MANIFES1.JSO;1"},
		{"a.txt", false, 12, "A12.TXT;1"},
		{"x", false, 12345678, "12345678.;1"},
		{"with space & ü.cfg", false, 0, "WITH_SPA.CFG;1"},
		{"archive.tar.gz", false, 0, "ARCHIVE_.GZ;1"},
		{".hidden", false, 0, ".HID;1"},
		{"x", false, 0, "X.;1"},
		{"plinth", true, 0, "PLINTH"},
		{"a.b", true, 0, "A_B"},
		{"directory-name", true, 2, "DIRECTO2"},
	}
	for _, tc := range tests {
		if got := isoName(tc.name, tc.dir, tc.seq); got != tc.want {
			t.Errorf("isoName(%q, %v, %d) = %q, want %q", tc.name, tc.dir, tc.seq, got, tc.want)
		}
	}
}

// TestIdentifierOrder checks ECMA-119 9.3: "A" and "A.TXT" share the name
// part and the empty extension sorts first; a shorter name sorts as if
// padded with spaces, so "AB" follows "A.TXT".
func TestIdentifierOrder(t *testing.T) {
	ids := []string{"ZETA.TXT;1", "A", "AB.;1", "A.TXT;1", "A.TXT;2", "B_", "B"}
	slices.SortFunc(ids, func(a, b string) int {
		return compareBy(identifierLess, byteUnits([]byte(a)), byteUnits([]byte(b)))
	})
	want := []string{"A", "A.TXT;2", "A.TXT;1", "AB.;1", "B", "B_", "ZETA.TXT;1"}
	if strings.Join(ids, "|") != strings.Join(want, "|") {
		t.Errorf("sorted %q, want %q", ids, want)
	}
	// Joliet compares UCS-2 units: upper case before lower case.
	j := []string{"b.cfg", "README", "a"}
	slices.SortFunc(j, func(a, b string) int {
		return compareBy(identifierLess, ucs2Units(jolietName(a)), ucs2Units(jolietName(b)))
	})
	if got := strings.Join(j, "|"); got != "README|a|b.cfg" {
		t.Errorf("Joliet order %s", got)
	}
}

// TestTreeIdentifiers checks that names mapping to the same ECMA-119
// identifier are told apart, that the reserved files keep their plain
// names, and that each directory's children are in 9.3 order.
func TestTreeIdentifiers(t *testing.T) {
	catalog, efi := newFile("boot.catalog", nil, 0o444), newFile("efiboot.img", nil, 0o644)
	root, files := buildTree(&Options{Files: map[string][]byte{
		"/EFIBOOT.IMG": nil, "/alpha.txt": nil, "/ALPHA.TXT": nil, "/Alpha.Txt": nil, "/d/x": nil,
	}}, catalog, efi)
	var got []string
	for _, c := range root.children {
		got = append(got, string(c.isoID)+"="+c.name)
	}
	want := []string{"ALPHA.TXT;1=ALPHA.TXT", "ALPHA1.TXT;1=Alpha.Txt", "ALPHA2.TXT;1=alpha.txt",
		"BOOT.CAT;1=boot.catalog", "D=d", "EFIBOOT.IMG;1=efiboot.img", "EFIBOOT1.IMG;1=EFIBOOT.IMG"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("root identifiers\n got %v\nwant %v", got, want)
	}
	if len(files) != 5 || files[0].name != "ALPHA.TXT" || files[4].name != "x" || files[4].parent.name != "d" {
		t.Errorf("files not in path order: %v", files)
	}
	if root.links() != 3 || root.parent != root || files[4].links() != 1 {
		t.Errorf("links: root %d, file %d; root's parent %p", root.links(), files[4].links(), root.parent)
	}
}
