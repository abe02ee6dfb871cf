package probe

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// probeFile probes an image file.
func probeFile(t *testing.T, path string) []Finding {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	found, err := Probe(f, st.Size())
	if err != nil {
		t.Fatalf("Probe(%s): %v", path, err)
	}
	return found
}

// blkidValues returns what "blkid -p -o export" says about path: TYPE,
// LABEL, UUID, VERSION, PTTYPE, PTUUID... An empty map means blkid found
// nothing (exit status 2).
func blkidValues(t *testing.T, path string) map[string]string {
	t.Helper()
	out, err := exec.Command(testdisk.Tool(t, "blkid"), "-p", "-o", "export", path).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		return map[string]string{}
	}
	if err != nil {
		t.Fatalf("blkid -p %s: %v\n%s", path, err, out)
	}
	vals := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		vals[k] = unescapeExport(v)
	}
	return vals
}

// unescapeExport undoes the backslashes of blkid's export format.
func unescapeExport(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// wipefsEntry is one signature "wipefs -n -J" lists.
type wipefsEntry struct {
	Offset int64
	Type   string
}

// wipefsList returns the signatures wipefs would erase from path.
func wipefsList(t *testing.T, path string) []wipefsEntry {
	t.Helper()
	out := testdisk.Run(t, testdisk.Tool(t, "wipefs"), "-n", "-J", path)
	if strings.TrimSpace(out) == "" {
		return nil
	}
	var doc struct {
		Signatures []struct{ Offset, Type string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("wipefs -J %s: %v\n%s", path, err, out)
	}
	var list []wipefsEntry
	for _, s := range doc.Signatures {
		off, err := strconv.ParseInt(s.Offset, 0, 64)
		if err != nil {
			t.Fatalf("wipefs offset %q: %v", s.Offset, err)
		}
		list = append(list, wipefsEntry{off, s.Type})
	}
	return list
}

// split separates partition tables from the other findings.
func split(found []Finding) (pt, other []Finding) {
	for _, f := range found {
		if f.Kind == PartitionTable {
			pt = append(pt, f)
		} else {
			other = append(other, f)
		}
	}
	return pt, other
}

// agreeWithBlkid checks that found says what blkid says: the one
// TYPE (with LABEL, UUID and, where the probe reads one, VERSION) and the
// PTTYPE (with PTUUID). ignorePT skips the partition table comparison.
func agreeWithBlkid(t *testing.T, vals map[string]string, found []Finding, ignorePT, noIDs bool) {
	t.Helper()
	pt, other := split(found)
	check := func(what string, fs []Finding, typ, label, uuid string) {
		t.Helper()
		if vals[typ] == "" {
			if len(fs) != 0 {
				t.Errorf("%s: probe found %+v, blkid nothing", what, fs)
			}
			return
		}
		if len(fs) != 1 || fs[0].Name != vals[typ] {
			t.Errorf("%s: probe found %+v, blkid %s=%s", what, fs, typ, vals[typ])
			return
		}
		f := fs[0]
		if !noIDs && (f.Label != vals[label] || f.UUID != vals[uuid]) {
			t.Errorf("%s: probe says label %q, UUID %q; blkid %q, %q", what, f.Label, f.UUID, vals[label], vals[uuid])
		}
		if f.Version != "" && f.Version != vals["VERSION"] {
			t.Errorf("%s: probe says version %q, blkid %q", what, f.Version, vals["VERSION"])
		}
	}
	check("filesystem", other, "TYPE", "LABEL", "UUID")
	if !ignorePT {
		check("partition table", pt, "PTTYPE", "", "PTUUID")
	}
}

// agreeWithWipefs checks that wipefs lists each finding, and each copy of
// it, at the offset the probe gives.
func agreeWithWipefs(t *testing.T, list []wipefsEntry, found []Finding) {
	t.Helper()
	for _, f := range found {
		for _, off := range append([]int64{f.Offset}, f.Copies...) {
			listed := false
			for _, e := range list {
				listed = listed || e.Type == f.Name && e.Offset == off
			}
			if !listed {
				t.Errorf("probe: %s at %#x; wipefs lists %+v", f.Name, off, list)
			}
		}
	}
}
