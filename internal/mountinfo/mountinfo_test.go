package mountinfo

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, line string
		want       Mount
	}{
		{"no optional fields", `22 1 0:21 / / rw,relatime - rootfs rootfs rw`,
			Mount{ID: 22, ParentID: 1, Dev: Dev{0, 21}, Root: "/", MountPoint: "/", Options: "rw,relatime",
				FSType: "rootfs", Source: "rootfs", SuperOptions: "rw"}},
		{"one optional field", `23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,size=1000k`,
			Mount{ID: 23, ParentID: 22, Dev: Dev{0, 5}, Root: "/", MountPoint: "/dev", Options: "rw,nosuid",
				Optional: []string{"shared:2"}, FSType: "devtmpfs", Source: "devtmpfs", SuperOptions: "rw,size=1000k"}},
		{"proc(5) example", `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`,
			Mount{ID: 36, ParentID: 35, Dev: Dev{98, 0}, Root: "/mnt1", MountPoint: "/mnt2", Options: "rw,noatime",
				Optional: []string{"master:1"}, FSType: "ext3", Source: "/dev/root", SuperOptions: "rw,errors=continue"}},
		{"escaped mount point, two optional fields", `40 22 8:17 / /mnt/my\040disk rw,relatime shared:9 master:3 - vfat /dev/sdb1 rw,fmask=0022`,
			Mount{ID: 40, ParentID: 22, Dev: Dev{8, 17}, Root: "/", MountPoint: "/mnt/my disk", Options: "rw,relatime",
				Optional: []string{"shared:9", "master:3"}, FSType: "vfat", Source: "/dev/sdb1", SuperOptions: "rw,fmask=0022"}},
		{"escaped root, source and tab", `41 22 259:2 /a\011b /x\134y rw - ext4 /dev/disk\040one ro`,
			Mount{ID: 41, ParentID: 22, Dev: Dev{259, 2}, Root: "/a\tb", MountPoint: `/x\y`, Options: "rw",
				FSType: "ext4", Source: "/dev/disk one", SuperOptions: "ro"}},
		{"a directory named -", `42 22 8:1 / /- rw - ext4 /dev/sda1 rw`,
			Mount{ID: 42, ParentID: 22, Dev: Dev{8, 1}, Root: "/", MountPoint: "/-", Options: "rw",
				FSType: "ext4", Source: "/dev/sda1", SuperOptions: "rw"}},
		{"no super options", `43 22 8:2 / /y rw - ext4 /dev/sda2`,
			Mount{ID: 43, ParentID: 22, Dev: Dev{8, 2}, Root: "/", MountPoint: "/y", Options: "rw",
				FSType: "ext4", Source: "/dev/sda2"}},
	}
	for _, tt := range tests {
		got, err := Parse(strings.NewReader(tt.line + "\n"))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseSkipsEmptyLines(t *testing.T) {
	got, err := Parse(strings.NewReader("\n22 1 0:21 / / rw - rootfs rootfs rw\n\n23 22 0:5 / /dev rw - devtmpfs devtmpfs rw\n"))
	if err != nil || len(got) != 2 || got[1].MountPoint != "/dev" {
		t.Errorf("Parse = %+v, %v", got, err)
	}
}

func TestParseBad(t *testing.T) {
	for _, in := range []string{
		"x 1 0:21 / / rw - rootfs rootfs rw",
		"22 y 0:21 / / rw - rootfs rootfs rw",
		"22 1 021 / / rw - rootfs rootfs rw",
		"22 1 0:x / / rw - rootfs rootfs rw",
		"22 1 0:21 / / rw rootfs rootfs rw",
		"22 1 0:21 / / rw -",
		"22 1 0:21 / / rw - ext4",
		"22 1 0:21 / /",
	} {
		_, err := Parse(strings.NewReader("22 1 0:21 / / rw - rootfs rootfs rw\n" + in + "\n"))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: err = %v, want a line 2 error", in, err)
		}
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`a\040b`:  "a b",
		`a\134b`:  `a\b`,
		`a\011`:   "a\t",
		`a\012b`:  "a\nb",
		`\134040`: `\040`, // once: the decoded backslash starts no new escape
		`\04`:     `\04`,
		`a\999`:   `a\999`,
		`a\400`:   `a\400`, // more than a byte
		`\`:       `\`,
		`plain`:   "plain",
	} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDev(t *testing.T) {
	if d, err := ParseDev("259:12\n"); err != nil || d != (Dev{259, 12}) || d.String() != "259:12" {
		t.Errorf("ParseDev = %v, %v", d, err)
	}
	for _, bad := range []string{"", "8", "8:", ":1", "a:b", "-1:2", "4294967296:0"} {
		if _, err := ParseDev(bad); err == nil {
			t.Errorf("ParseDev(%q) accepted", bad)
		}
	}
}

func TestRead(t *testing.T) {
	proc := t.TempDir()
	if err := os.Mkdir(filepath.Join(proc, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	line := "40 22 8:17 / /mnt/my\\040disk rw - vfat /dev/sdb1 rw\n"
	if err := os.WriteFile(filepath.Join(proc, "self", "mountinfo"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := Read(proc)
	if err != nil || len(ms) != 1 || ms[0].MountPoint != "/mnt/my disk" || ms[0].Dev != (Dev{8, 17}) {
		t.Errorf("Read = %+v, %v", ms, err)
	}
	if _, err := Read(t.TempDir()); err == nil {
		t.Error("Read of a missing file succeeded")
	}
}

// TestReadSelf parses this process's own table: the kernel's output, not
// ours, whatever this machine has mounted.
func TestReadSelf(t *testing.T) {
	ms, err := Read("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var root bool
	for _, m := range ms {
		root = root || m.MountPoint == "/"
	}
	if !root {
		t.Errorf("no mount on / in %+v", ms)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("22 1 0:21 / / rw - rootfs rootfs rw\n36 35 98:0 /mnt1 /mnt\\0402 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"))
	f.Add([]byte("1 2 3:4 a b c - d e f\n"))
	f.Add([]byte(`1 2 7:0 / /x - ext4 \`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.FSType == "" || m.Source == "" || m.Options == "" {
				t.Fatalf("empty fields in %+v", m)
			}
		}
	})
}
