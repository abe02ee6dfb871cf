package kmsg

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// formatLine formats one line as Format does.
func formatLine(line string) string {
	return strings.TrimSuffix(string(Format([]byte(line+"\n"))), "\n")
}

func TestParsePriority(t *testing.T) {
	tests := []struct {
		in   string
		prio int
		ok   bool
	}{
		{"3,1,2,-;err", Err, true},
		{"11,1,2,-;err from facility 1", Err, true}, // facility 1 << 3 | 3
		{"0,1,2,-;emerg", Emerg, true},
		{"7,1,2,-;debug", 7, true},
		{"-1,1,2,-;bad", 0, false},
		{"x,1,2,-;bad", 0, false},
	}
	for _, tt := range tests {
		r, ok := Parse(tt.in)
		if ok != tt.ok || ok && r.Priority != tt.prio {
			t.Errorf("Parse(%q) = %+v, %v; want priority %d, %v", tt.in, r, ok, tt.prio, tt.ok)
		}
	}
}

// Follow through a FIFO standing in for /dev/kmsg (which, like it,
// says EAGAIN when there is nothing to read): only errors come through,
// without device properties, and it stops when ctx ends.
func TestFollow(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kmsg")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(p, os.O_RDWR, 0) // RDWR: opening does not wait for a reader
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := Follow(ctx, p, Err)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("6,1,100,-;just information\n SUBSYSTEM=x\n")
	w.WriteString("3,2,2000000,-;nvme nvme0: I/O error\n DEVICE=+nvme:nvme0\n")
	select {
	case r := <-ch:
		if r.Priority != Err || r.Text != "nvme nvme0: I/O error" || r.String() != "[    2.000000] nvme nvme0: I/O error" {
			t.Errorf("got %+v (%s)", r, r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error record")
	}
	cancel()
	select {
	case r, ok := <-ch:
		if ok {
			t.Fatalf("record after cancel: %+v", r)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Follow did not stop when ctx ended")
	}
	if _, err := Follow(context.Background(), filepath.Join(t.TempDir(), "none"), Err); err == nil {
		t.Error("Follow on a missing file succeeded")
	}
}

func TestFormatRecord(t *testing.T) {
	tests := []struct{ in, want string }{
		{"6,339,5140900,-;NET: Registered protocol family 10", "[    5.140900] NET: Registered protocol family 10"},
		{"0,0,0,-;Linux version 6.1.0", "[    0.000000] Linux version 6.1.0"},
		{"3,1234,123456789012,c;nvme nvme0: I/O 12 QID 1 timeout", "[123456.789012] nvme nvme0: I/O 12 QID 1 timeout"},
		{"4,77,1234567,-,caller=T1;with caller id; and a semicolon", "[    1.234567] with caller id; and a semicolon"},
		{"6,5,7,-;", "[    0.000007] "},
		{`6,6,8,-;escaped \x0a newline`, `[    0.000008] escaped \x0a newline`},
		{"no header at all", "no header at all"},
		{"6,x,notanumber,-;text", "6,x,notanumber,-;text"},
		{"6,1;short", "6,1;short"},
	}
	for _, tt := range tests {
		if got := formatLine(tt.in); got != tt.want {
			t.Errorf("format(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

const kmsgSample = "6,1,1000,-;first\n" +
	"12,2,2500000,-;usb 1-1: new high-speed USB device\n" +
	" SUBSYSTEM=usb\n" +
	" DEVICE=c189:1\n" +
	"3,3,3000001,-;sd 2:0:0:0: [sdb] No Caching mode page found\n"

func TestFormat(t *testing.T) {
	out := bytes.NewBuffer(Format([]byte(kmsgSample)))
	want := "[    0.001000] first\n" +
		"[    2.500000] usb 1-1: new high-speed USB device\n" +
		"[    3.000001] sd 2:0:0:0: [sdb] No Caching mode page found\n"
	if out.String() != want {
		t.Errorf("Format =\n%s\nwant\n%s", out.String(), want)
	}
}

// TestReadAllFile reads a regular file standing in for /dev/kmsg: the
// read loop must stop at its end as it stops at EAGAIN on the device.
func TestReadAllFile(t *testing.T) {
	dev := t.TempDir()
	// More than one read's worth, so records straddle reads.
	var in, want strings.Builder
	for i := range 2000 {
		in.WriteString(kmsgSample)
		if i == 0 {
			want.WriteString(strings.Repeat(string(Format([]byte(kmsgSample))), 2000))
		}
	}
	if in.Len() <= bufSize {
		t.Fatalf("sample of %d bytes fits one read", in.Len())
	}
	if err := os.WriteFile(filepath.Join(dev, "kmsg"), []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadAll(filepath.Join(dev, "kmsg"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("ReadAll returned %d bytes, want %d", len(got), want.Len())
	}
	if _, err := ReadAll(filepath.Join(t.TempDir(), "kmsg")); err == nil || !strings.Contains(err.Error(), "kmsg") {
		t.Errorf("ReadAll without kmsg: %v", err)
	}
}

// TestFirst reads this machine's kernel log, a record a read: the oldest
// record there is found, one nothing matches is not, and a missing
// device is an error.
func TestFirst(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		t.Skip("no /dev/kmsg here")
	}
	r, ok, err := First("/dev/kmsg", func(Record) bool { return true })
	if err != nil || !ok || r.Text == "" {
		t.Errorf("First(any) = %+v, %v, %v", r, ok, err)
	}
	if _, ok, err := First("/dev/kmsg", func(Record) bool { return false }); err != nil || ok {
		t.Errorf("First(none) = %v, %v; want not found", ok, err)
	}
	if _, _, err := First(filepath.Join(t.TempDir(), "kmsg"), func(Record) bool { return true }); err == nil {
		t.Error("First on a missing device succeeded")
	}
}
