package abslot

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestReplaceLeftovers: a leftover temporary file is removed before the
// next write, unless it has the target's contents (it may be the twin
// entry of an interrupted FAT rename, sharing the target's clusters).
func TestReplaceLeftovers(t *testing.T) {
	const target = "EFI/plinth/x.efi"
	cases := []struct {
		name      string
		leftovers map[string][]byte
		err       string
		kept      []string // leftovers still there afterwards
	}{
		{name: "none"},
		{name: "partial write", leftovers: map[string][]byte{target + ".new": []byte("old-but-cut")}},
		{name: "twin", leftovers: map[string][]byte{target + ".new": []byte("old")}, kept: []string{target + ".new"}},
		{name: "twin and partial", leftovers: map[string][]byte{target + ".new": []byte("old"), target + ".new1": []byte("o")}, kept: []string{target + ".new"}},
		{name: "only twins", leftovers: map[string][]byte{target + ".new": []byte("old"), target + ".new1": []byte("old"), target + ".new2": []byte("old"), target + ".new3": []byte("old")},
			err: "fsck.fat", kept: []string{target + ".new", target + ".new1", target + ".new2", target + ".new3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := bareFixture(t, chains[0].chain)
			f.write(target, []byte("old"))
			for p, b := range c.leftovers {
				f.write(p, b)
			}
			fs := files{root: f.root}
			want := []byte("new contents")
			err := fs.replace(target, bytes.NewReader(want), int64(len(want)), sha256.Sum256(want))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("replace: %v, want an error with %q", err, c.err)
				}
				want = []byte("old")
			} else if err != nil {
				t.Fatal(err)
			}
			if got := f.read(target); !bytes.Equal(got, want) {
				t.Errorf("%s = %q, want %q", target, got, want)
			}
			var left []string
			for p := range f.snapshot() {
				if strings.HasPrefix(p, target+".") {
					left = append(left, p)
				}
			}
			if slices.Sort(left); !slices.Equal(left, c.kept) {
				t.Errorf("leftovers %q, want %q", left, c.kept)
			}
		})
	}
}

// TestReplaceBadStream: a stream that is short or not the expected bytes
// leaves the target as it was, with no temporary file behind.
func TestReplaceBadStream(t *testing.T) {
	good := []byte("the expected bytes")
	cases := []struct {
		name string
		r    io.Reader
		want error
	}{
		{"short", bytes.NewReader(good[:5]), io.ErrUnexpectedEOF},
		{"different", bytes.NewReader([]byte("the unexpected byte")), ErrDigest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := bareFixture(t, chains[0].chain)
			f.write("EFI/plinth/x.efi", []byte("old"))
			before := f.snapshot()
			err := files{root: f.root}.replace("EFI/plinth/x.efi", c.r, int64(len(good)), sha256.Sum256(good))
			if !errors.Is(err, c.want) {
				t.Errorf("replace: %v, want %v", err, c.want)
			}
			if !maps.EqualFunc(before, f.snapshot(), bytes.Equal) {
				t.Error("a failed replace changed the ESP")
			}
		})
	}
}

// TestSame compares files across the 1 MiB chunk boundary and at either
// end.
func TestSame(t *testing.T) {
	big := bytes.Repeat([]byte("plinth!\n"), 1<<17) // exactly 1 MiB
	flip := func(b []byte, i int) []byte {
		c := slices.Clone(b)
		c[i] ^= 1
		return c
	}
	cases := []struct {
		name     string
		src, dst []byte // dst nil: missing
		want     bool
	}{
		{"equal small", []byte("abc"), []byte("abc"), true},
		{"equal 1 MiB", big, slices.Clone(big), true},
		{"equal 1 MiB + 1", append(slices.Clone(big), 'x'), append(slices.Clone(big), 'x'), true},
		{"last byte differs", big, flip(big, len(big)-1), false},
		{"differs after the first chunk", append(slices.Clone(big), 'x'), append(slices.Clone(big), 'y'), false},
		{"dst shorter", big, big[:len(big)-1], false},
		{"dst longer", big, append(slices.Clone(big), 'x'), false},
		{"both empty", []byte{}, []byte{}, true},
		{"dst missing", []byte("abc"), nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := bareFixture(t, chains[0].chain)
			f.write("a", c.src)
			if c.dst != nil {
				f.write("b", c.dst)
			}
			got, err := files{root: f.root}.same("a", "b")
			if err != nil || got != c.want {
				t.Errorf("same = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestIsTemporary(t *testing.T) {
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"/EFI/plinth/slot-b.efi.new", true},
		{"/EFI/BOOT/BOOTX64.EFI.new3", true},
		{"/EFI/plinth/slot-b.efi", false},
		{"/EFI/plinth/slot-b.efi.new9", false}, // beyond the names tempFor tries
		{".new", false},
	} {
		if got := IsTemporary(tt.name); got != tt.want {
			t.Errorf("IsTemporary(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
	for i := range maxTemps {
		if n := tempName("EFI/plinth/slot-a.efi", i); !IsTemporary(n) {
			t.Errorf("tempName %q is not IsTemporary", n)
		}
	}
}
