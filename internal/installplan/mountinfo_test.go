package installplan

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

const sampleMountinfo = `22 1 0:21 / / rw,relatime - rootfs rootfs rw
23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,size=1000k
36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
40 22 8:17 / /mnt/my\040disk rw,relatime shared:9 master:3 - vfat /dev/sdb1 rw,fmask=0022
`

func TestParseMountinfo(t *testing.T) {
	got, err := ParseMountinfo(strings.NewReader(sampleMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{ID: 22, ParentID: 1, Major: 0, Minor: 21, Root: "/", MountPoint: "/", FSType: "rootfs", Source: "rootfs", Options: "rw,relatime"},
		{ID: 23, ParentID: 22, Major: 0, Minor: 5, Root: "/", MountPoint: "/dev", FSType: "devtmpfs", Source: "devtmpfs", Options: "rw,nosuid"},
		{ID: 36, ParentID: 35, Major: 98, Minor: 0, Root: "/mnt1", MountPoint: "/mnt2", FSType: "ext3", Source: "/dev/root", Options: "rw,noatime"},
		{ID: 40, ParentID: 22, Major: 8, Minor: 17, Root: "/", MountPoint: "/mnt/my disk", FSType: "vfat", Source: "/dev/sdb1", Options: "rw,relatime"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseMountinfoBad(t *testing.T) {
	for _, in := range []string{
		"x 1 0:21 / / rw - rootfs rootfs rw",
		"22 1 021 / / rw - rootfs rootfs rw",
		"22 1 0:21 / / rw rootfs rootfs rw",
		"22 1 0:21 / / rw -",
		"22 1 0:21 / /",
	} {
		if _, err := ParseMountinfo(strings.NewReader("22 1 0:21 / / rw - rootfs rootfs rw\n" + in + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: err = %v, want a line 2 error", in, err)
		}
	}
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{`a\040b`: "a b", `a\134b`: `a\b`, `a\011`: "a\t", `\04`: `\04`, `a\999`: `a\999`, `\`: `\`} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add([]byte(sampleMountinfo))
	f.Add([]byte("1 2 3:4 a b c - d e f\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := ParseMountinfo(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.FSType == "" || m.Source == "" {
				t.Fatalf("empty fields in %+v", m)
			}
		}
	})
}
