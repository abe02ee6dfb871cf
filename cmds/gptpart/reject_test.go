package main

import (
	"os"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// Bad input is rejected with a clear message and nothing is written: the
// image's bytes stay as they were.
func TestRejects(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		status  int
		wantErr string
	}{
		{"overlap", "-n 3:0:+1M -n 4:43008:+1M", 1, "overlaps partition 3"},
		{"overlap existing", "-n 3:1M:+1M", 1, "overlaps partition 1"},
		{"beyond end", "-n 3:0:+2G", 1, "outside the usable sectors"},
		{"end past disk", "-n 3:0:999999999", 1, "outside the usable sectors"},
		{"unknown code", "-t 1:1234", 1, "unknown type code"},
		{"bad code", "-t 1:EFI", 1, "bad type"},
		{"bad GUID", "-u 1:1234-5678", 1, "bad GUID"},
		{"bad disk GUID", "-U xyz", 1, "bad GUID"},
		{"duplicate GUID", "-u 1:11111111-2222-4333-8444-555555555555 -u 2:11111111-2222-4333-8444-555555555555", 1, "same GUID"},
		{"existing number", "-n 1:0:0", 1, "partition 1 already exists"},
		{"missing partition", "-t 7:8300", 1, "partition 7 does not exist"},
		{"delete missing", "-d 9", 1, "partition 9 does not exist"},
		{"name too long", "-c 1:abcdefghijklmnopqrstuvwxyz01234567890", 1, "longer than 36"},
		{"zero without -n", "-c 0:x", 1, "there is none"},
		{"later op fails", "-o -n 1:0:0 -t 1:EF00 -n 1:0:0", 1, "already exists"},
		{"full after zap", "-Z -n 1:0:0 -n 2:0:0", 1, "holds no 2048-sector boundary"},
		{"wrong sector size", "--sector-size 4096 -n 3:0:0", 2, "use -o"},
		{"syntax", "-n 1:0", 1, "PARTNUM:START:END"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := testdisk.TempSparse(t, "disk.img", 100<<20)
			if st, out, e := gptpart("-o", "-n", "1:0:+10M", "-n", "2:0:+10M", img); st != 0 {
				t.Fatalf("setup: %d %s %s", st, out, e)
			}
			before := testdisk.SHA256(t, img)
			status, _, stderr := gptpart(append(strings.Fields(tc.args), img)...)
			if status != tc.status || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("status %d, stderr %q; want %d and %q", status, stderr, tc.status, tc.wantErr)
			}
			if testdisk.SHA256(t, img) != before {
				t.Errorf("rejected command changed the image")
			}
		})
	}
}

func TestRejectsForeignDisk(t *testing.T) {
	img := testdisk.TempSparse(t, "mbr.img", 10<<20)
	// An MBR with one partition: gptpart must not take it for blank.
	mbr := make([]byte, 512)
	mbr[446+4], mbr[446+8], mbr[446+12] = 0x83, 1, 100
	mbr[510], mbr[511] = 0x55, 0xAA
	if err := os.WriteFile(img, append(mbr, make([]byte, 10<<20-512)...), 0o644); err != nil {
		t.Fatal(err)
	}
	before := testdisk.SHA256(t, img)
	status, _, stderr := gptpart("-n", "1:0:0", img)
	if status != 2 || !strings.Contains(stderr, "use -o") {
		t.Errorf("status %d: %s", status, stderr)
	}
	if testdisk.SHA256(t, img) != before {
		t.Errorf("image changed")
	}
	if status, out, stderr := gptpart("-o", "-n", "1:0:0", img); status != 0 || !strings.Contains(out, "completed successfully") {
		t.Errorf("with -o: status %d %s %s", status, out, stderr)
	}
}

func TestTargetErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		target, want string
	}{
		{dir + "/missing.img", "no such file"},
		{dir, "neither a regular file nor a block device"},
		{"/dev/null", "neither"},
	}
	for _, tc := range tests {
		status, _, stderr := gptpart("-p", tc.target)
		if status != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: status %d, %q; want 2 and %q", tc.target, status, stderr, tc.want)
		}
	}
}

// An unaligned start is moved up, as sgdisk does; unlike sgdisk 1.0.9 the
// +SIZE end then counts from the moved start (sgdisk counts from the
// requested one and makes the partition smaller).
func TestAlignsStart(t *testing.T) {
	img := testdisk.TempSparse(t, "disk.img", 100<<20)
	status, out, stderr := gptpart("-o", "-n", "1:100:+1M", "-a", "1", "-n", "2:4097:+1M", "-i", "1", "-i", "2", img)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, want := range []string{
		"Moved requested sector from 100 to 2048",
		"First sector: 2048 (at 1024.0 KiB)\nLast sector: 4095",
		"First sector: 4097 (at 2.0 MiB)\nLast sector: 6144",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
