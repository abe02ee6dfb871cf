package iso

import (
	"bytes"
	"strings"
	"testing"
)

// Run the fuzzer for ~30 s with a short minimization budget:
//
//	go test ./iso -run '^$' -fuzz '^FuzzLayout$' -fuzztime 30s -fuzzminimizetime 2s

// FuzzLayout builds images from arbitrary trees (one path per line) and
// checks the layout's invariants: the writer finds every extent where the
// layout put it, records fit their limits, identifiers are unique in each
// directory, and a record's length does not depend on extents.
func FuzzLayout(f *testing.F) {
	f.Add("/a/b.txt\n/c\n/A.TXT\n/a.txt", false)
	f.Add("/"+strings.Repeat("n", 255)+"\n/d/"+strings.Repeat("x", 240), false)
	f.Add("/dir.with.dots/f\n/Dir/f\n/ü/€.cfg", true)
	fat := make([]byte, 1024)
	fat[510], fat[511] = 0x55, 0xAA
	f.Fuzz(func(t *testing.T, paths string, joliet bool) {
		opts := Options{VolumeID: "FUZZ", EFIBootImage: fat, Joliet: joliet, Files: map[string][]byte{}}
		for _, p := range strings.Split(paths, "\n") {
			opts.Files[p] = []byte(p)
		}
		if opts.validate() != nil {
			return
		}
		img, err := newImage(&opts)
		if err != nil {
			t.Fatalf("newImage: %v", err)
		}
		var n countingWriter
		if err := img.writeISO9660(&n); err != nil {
			t.Fatalf("writeISO9660: %v", err)
		}
		if want := int64(img.isoEnd-firstVDBlock) * blockSize; int64(n) != want {
			t.Fatalf("wrote %d bytes, layout says %d", n, want)
		}
		for _, d := range img.dirs {
			checkDirectory(t, img, d)
		}
		sys, err := img.hybrid(nil)
		if err != nil {
			t.Fatalf("hybrid: %v", err)
		}
		if !bytes.Equal(sys.head[510:512], []byte{0x55, 0xAA}) {
			t.Fatal("no protective MBR")
		}
	})
}

func checkDirectory(t *testing.T, img *image, d *node) {
	t.Helper()
	recs, _ := img.primaryRecords(d)
	if got := len(packRecords(recs)); got != int(d.size) {
		t.Fatalf("directory %q: records take %d bytes, layout gave %d", d.name, got, d.size)
	}
	ids := map[string]bool{}
	for i, r := range recs {
		if n := r.len(); n > maxRecordLen || n%2 != 0 {
			t.Fatalf("directory %q: record %q is %d bytes", d.name, r.id, n)
		}
		if i >= 2 && ids[string(r.id)] {
			t.Fatalf("directory %q: identifier %q twice", d.name, r.id)
		}
		ids[string(r.id)] = true
	}
	if img.opts.Joliet {
		if got := len(packRecords(img.jolietRecords(d))); got != int(d.jsize) {
			t.Fatalf("Joliet directory %q: records take %d bytes, layout gave %d", d.name, got, d.jsize)
		}
	}
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
