package gpt

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// memDisk is an in-memory disk for tests that need no real file.
type memDisk []byte

func (m memDisk) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > int64(len(m)) {
		return 0, fmt.Errorf("read %d bytes at %d beyond %d", len(b), off, len(m))
	}
	return copy(b, m[off:]), nil
}

func (m memDisk) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > int64(len(m)) {
		return 0, fmt.Errorf("write %d bytes at %d beyond %d", len(b), off, len(m))
	}
	return copy(m[off:], b), nil
}

// tool returns the path of a required external tool; missing tools fail
// the test (they are part of the test setup, not optional).
func tool(t testing.TB, name, pkg string) string {
	t.Helper()
	return testdisk.Tool(t, name, pkg)
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	return testdisk.Run(t, name, args...)
}

// sparseImage creates an empty sparse file of size bytes.
func sparseImage(t testing.TB, size int64) string {
	t.Helper()
	return testdisk.TempSparse(t, "disk.img", size)
}

func fileHash(t testing.TB, p string) [32]byte {
	t.Helper()
	return testdisk.SHA256(t, p)
}

// sgdiskRow is one partition line of "sgdisk -p".
type sgdiskRow struct {
	Number     int
	Start, End uint64
	Code, Name string
}

var sgdiskRowRE = regexp.MustCompile(`^ *(\d+) +(\d+) +(\d+) +\S+ \S+ +([0-9A-F]{4})  ?(.*)$`)

// parseSgdiskPrint extracts the partition rows of "sgdisk -p".
func parseSgdiskPrint(t testing.TB, out string) []sgdiskRow {
	t.Helper()
	var rows []sgdiskRow
	_, table, ok := strings.Cut(out, "Number  Start (sector)")
	if !ok {
		t.Fatalf("no partition list in sgdisk -p output:\n%s", out)
	}
	for _, line := range strings.Split(table, "\n")[1:] {
		m := sgdiskRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		s, _ := strconv.ParseUint(m[2], 10, 64)
		e, _ := strconv.ParseUint(m[3], 10, 64)
		rows = append(rows, sgdiskRow{n, s, e, m[4], strings.TrimRight(m[5], " ")})
	}
	return rows
}

// rows turns a table into what sgdisk -p should show for it.
func rows(tb *Table) []sgdiskRow {
	var r []sgdiskRow
	for _, p := range tb.Partitions {
		code, _ := TypeCode(p.Type)
		r = append(r, sgdiskRow{p.Number, p.FirstLBA, p.LastLBA, code, p.Name})
	}
	return r
}
