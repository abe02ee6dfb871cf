package mkext4

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// testUUID is the UUID the tests format with.
var testUUID = [16]byte{0x0b, 0x1f, 0x4b, 0x4e, 0x7d, 0x0a, 0x4f, 0x2e, 0x9c, 0x59, 0x6f, 0x0d, 0x1e, 0x2a, 0x3b, 0x4c}

const testUUIDString = "0b1f4b4e-7d0a-4f2e-9c59-6f0d1e2a3b4c"

// testTime is a fixed timestamp in the past, so that e2fsck's
// "time is in the future" checks never fire.
var testTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// runTool runs a tool and returns its combined output and exit code.
func runTool(t testing.TB, name string, args ...string) (string, int) {
	t.Helper()
	return testdisk.RunExit(t, testdisk.Tool(t, name), args...)
}

// e2fsckSummary matches e2fsck's closing line.
var e2fsckSummary = regexp.MustCompile(`^\S+: \d+/\d+ files \([0-9.]+% non-contiguous\), \d+/\d+ blocks$`)

// e2fsckClean fails the test unless `e2fsck -fn` exits 0 having printed
// nothing beyond its banner, the pass headings and the summary line.
func e2fsckClean(t testing.TB, img string) {
	t.Helper()
	outs, code := runTool(t, "e2fsck", "-fn", img)
	var odd []string
	for _, line := range strings.Split(strings.TrimSpace(outs), "\n") {
		switch {
		case strings.HasPrefix(line, "e2fsck "), strings.HasPrefix(line, "Pass "), e2fsckSummary.MatchString(line):
		default:
			odd = append(odd, line)
		}
	}
	if code != 0 || len(odd) > 0 {
		t.Fatalf("e2fsck -fn %s: exit %d, unexpected output:\n%s", img, code, outs)
	}
}

// dumpe2fsHeader returns the `dumpe2fs -h` fields as a map.
func dumpe2fsHeader(t testing.TB, img string) map[string]string {
	t.Helper()
	outs, code := runTool(t, "dumpe2fs", "-h", img)
	if code != 0 {
		t.Fatalf("dumpe2fs -h %s: exit %d:\n%s", img, code, outs)
	}
	m := map[string]string{}
	for _, line := range strings.Split(outs, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// sparseImage returns the path of a new sparse file of size bytes.
func sparseImage(t testing.TB, size int64) string {
	t.Helper()
	return testdisk.TempSparse(t, "img", size)
}

// formatFile formats the file at p (its whole size) with opts.
func formatFile(t testing.TB, p string, opts Options) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := Format(f, 0, fi.Size(), opts); err != nil {
		t.Fatalf("Format: %v", err)
	}
}

// debugfs runs a debugfs request against img and returns its output.
func debugfs(t testing.TB, img, request string) string {
	t.Helper()
	outs, code := runTool(t, "debugfs", "-R", request, img)
	if code != 0 {
		t.Fatalf("debugfs -R %q: exit %d:\n%s", request, code, outs)
	}
	return outs
}

// sameBytes reports whether files a and b have equal contents.
func sameBytes(t testing.TB, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}
