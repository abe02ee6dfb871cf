package abslot

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxTemps bounds the temporary names tried for one file: leftovers that
// may share clusters with their target are kept (see tempFor).
const maxTemps = 4

// files writes and reads files under an ESP root. fault, when set (by
// tests), is called before every change to the ESP and stops it with its
// error, as a power cut would.
type files struct {
	root  string
	fault func(op string) error
}

func (f files) abs(rel string) string { return filepath.Join(f.root, filepath.FromSlash(rel)) }

func (f files) check(op, rel string) error {
	if f.fault == nil {
		return nil
	}
	return f.fault(op + " " + rel)
}

// digest returns the SHA-256 and size of the file at rel. The page cache
// is dropped first where the kernel allows it, so a read-back after a
// write reads the medium rather than the pages just written.
func (f files) digest(rel string) (sum [32]byte, size int64, err error) {
	fh, err := os.Open(f.abs(rel))
	if err != nil {
		return sum, 0, err
	}
	defer fh.Close()
	dropCache(fh)
	h := sha256.New()
	if size, err = io.Copy(h, fh); err != nil {
		return sum, 0, fmt.Errorf("read %s: %w", rel, err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, size, nil
}

// has reports whether the file at rel has the SHA-256 want. A missing
// file does not.
func (f files) has(rel string, want [32]byte) (bool, error) {
	got, _, err := f.digest(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return got == want && err == nil, err
}

// same reports whether the file at dst holds the bytes of the file at
// src, which must exist (a missing src is an error wrapping
// fs.ErrNotExist); a missing dst does not. Comparing costs far less CPU
// than hashing, which matters at every boot on a slow machine. dst's page
// cache is dropped first, as in digest.
func (f files) same(src, dst string) (bool, error) {
	a, err := os.Open(f.abs(src))
	if err != nil {
		return false, err
	}
	defer a.Close()
	b, err := os.Open(f.abs(dst))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer b.Close()
	if sa, sb, err := sizes(a, b); err != nil || sa != sb {
		return false, err
	}
	dropCache(b)
	bufA, bufB := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		n, err := io.ReadFull(a, bufA)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return false, fmt.Errorf("read %s: %w", src, err)
		}
		if _, err := io.ReadFull(b, bufB[:n]); err != nil {
			return false, fmt.Errorf("read %s: %w", dst, err)
		}
		if !bytes.Equal(bufA[:n], bufB[:n]) {
			return false, nil
		}
		if n < len(bufA) {
			return true, nil
		}
	}
}

// sizes are the sizes of two open files.
func sizes(a, b *os.File) (int64, int64, error) {
	sa, err := a.Stat()
	if err != nil {
		return 0, 0, err
	}
	sb, err := b.Stat()
	if err != nil {
		return 0, 0, err
	}
	return sa.Size(), sb.Size(), nil
}

// ErrDigest is a write whose bytes are not the ones expected: a damaged
// stream (or, read back, a damaged ESP). Nothing live was replaced.
var ErrDigest = errors.New("SHA-256 mismatch")

// replace makes rel hold exactly size bytes of r with SHA-256 want: it
// writes a temporary file in the same directory, syncs it, checks size
// and digest, renames it over rel, syncs the directory, and reads rel
// back. When the stream is short or its digest differs, rel is left as it
// was and the error wraps ErrDigest or io.ErrUnexpectedEOF.
//
// On FAT the rename is the commit point: Linux's vfat rewrites the
// target's directory entry in place to point at the new clusters, one
// 32-byte entry within one sector, so after a power cut rel names the old
// or the new file, never a mix. See the package documentation for what
// FAT does not promise around it.
func (f files) replace(rel string, r io.Reader, size int64, want [32]byte) error {
	if err := os.MkdirAll(f.abs(path.Dir(rel)), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	tmp, err := f.tempFor(rel)
	if err != nil {
		return err
	}
	if err := f.writeTemp(tmp, r, size, want); err != nil {
		os.Remove(f.abs(tmp))
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := f.check("rename", tmp); err != nil {
		return err
	}
	if err := os.Rename(f.abs(tmp), f.abs(rel)); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := syncDir(f.abs(path.Dir(rel))); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	// On vfat the renamed file's directory entry is its inode's: syncing
	// the directory does not write it, syncing the file does (the ESP is
	// also mounted dirsync, see package esp).
	if err := syncFile(f.abs(rel)); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	got, n, err := f.digest(rel)
	if err != nil {
		return fmt.Errorf("read back %s: %w", rel, err)
	}
	if got != want || n != size {
		return fmt.Errorf("read back %s: %d bytes: %w", rel, n, ErrDigest)
	}
	return nil
}

// writeTemp writes size bytes of r to tmp, syncs it, and checks them.
func (f files) writeTemp(tmp string, r io.Reader, size int64, want [32]byte) error {
	if err := f.check("create", tmp); err != nil {
		return err
	}
	fh, err := os.OpenFile(f.abs(tmp), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.CopyN(io.MultiWriter(fh, h), r, size)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("stream ended after %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
	case err != nil:
		return err
	case !bytes.Equal(h.Sum(nil), want[:]):
		return fmt.Errorf("%d bytes written: %w", n, ErrDigest)
	}
	return nil
}

// tempName is the i-th temporary name beside rel: rel.new, rel.new1, …
func tempName(rel string, i int) string {
	if i == 0 {
		return rel + ".new"
	}
	return fmt.Sprintf("%s.new%d", rel, i)
}

// IsTemporary reports whether name (a path on the ESP) is a temporary
// file of a write in progress, or of one a power cut interrupted: such a
// file is never read as anything but a leftover, never appended to, and
// is deleted before its name is used again.
func IsTemporary(name string) bool {
	for i := range maxTemps {
		if base, ok := strings.CutSuffix(name, tempName("", i)); ok && base != "" {
			return true
		}
	}
	return false
}

// tempFor returns a free temporary name beside rel. A leftover of an
// earlier, interrupted write is removed, unless it has the same size and
// contents as rel: then it may be the second directory entry an
// interrupted FAT rename leaves pointing at rel's own clusters, and
// removing it would free them under rel. Such a leftover is kept (fsck.fat
// separates the two) and the next name is used.
func (f files) tempFor(rel string) (string, error) {
	for i := range maxTemps {
		tmp := tempName(rel, i)
		twin, err := f.same(tmp, rel)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return tmp, nil
		case err != nil:
			return "", err
		case twin:
			continue
		}
		if err := f.remove(tmp); err != nil {
			return "", err
		}
		return tmp, nil
	}
	return "", fmt.Errorf("write %s: %d leftover temporary files hold its contents; run fsck.fat on the ESP", rel, maxTemps)
}

// remove deletes rel; a missing file is not an error.
func (f files) remove(rel string) error {
	if err := f.check("remove", rel); err != nil {
		return err
	}
	if err := os.Remove(f.abs(rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", rel, err)
	}
	return syncDir(f.abs(path.Dir(rel)))
}

// copyFile makes dst a copy of src, whose SHA-256 must be want.
func (f files) copyFile(src, dst string, want [32]byte) error {
	fh, err := os.Open(f.abs(src))
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := f.replace(dst, fh, fi.Size(), want); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// syncFile writes a file's data and metadata (on vfat: its directory
// entry) to the disk; syncDir makes a rename or removal in a directory
// durable. Both are an fsync of the path.
func syncFile(name string) error { return syncPath(name) }
func syncDir(dir string) error   { return syncPath(dir) }

func syncPath(name string) error {
	fh, err := os.Open(name)
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := fh.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	return nil
}
