package updatestick

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/bundle"
)

// Dir is the directory in the root of a stick that may hold bundles
// besides the root itself; its name is matched without regard to case.
const Dir = "plinth"

// Candidate is a bundle whose signature is good and whose file is as long
// as its manifest says.
type Candidate struct {
	Path     string           // the file
	Manifest *bundle.Manifest // as signed
	Size     int64            // bytes
}

// Rejected is a bundle file that is not used, and why.
type Rejected struct {
	Path string
	// Version is the manifest's version, "" when the manifest could not
	// be trusted (its claims are then nobody's).
	Version string
	bundle.Refusal
}

// Bundles lists the bundle files on the stick mounted at dir (see the
// package documentation for where they may be) and opens each to check
// its signature against trusted and read its manifest; the parts are not
// read. Files that are not good signed bundles are rejected with the
// reason. err says which directories could not be listed; whatever could
// be is returned with it.
func Bundles(dir string, trusted []*x509.Certificate) ([]Candidate, []Rejected, error) {
	cands, rej, err := bundlesFS(os.DirFS(dir), trusted)
	for i := range cands {
		cands[i].Path = filepath.Join(dir, filepath.FromSlash(cands[i].Path))
	}
	for i := range rej {
		rej[i].Path = filepath.Join(dir, filepath.FromSlash(rej[i].Path))
	}
	if err != nil {
		err = fmt.Errorf("updatestick: %s: %w", dir, err)
	}
	return cands, rej, err
}

// bundlesFS is Bundles on a filesystem; paths are fsys's.
func bundlesFS(fsys fs.FS, trusted []*x509.Certificate) ([]Candidate, []Rejected, error) {
	names, err := bundleFiles(fsys)
	var cands []Candidate
	var rej []Rejected
	for _, name := range names {
		c, oerr := openBundle(fsys, name, trusted)
		if oerr != nil {
			rej = append(rej, Rejected{Path: name, Refusal: *bundle.RefusalOf(oerr)})
			continue
		}
		cands = append(cands, c)
	}
	return cands, rej, err
}

// bundleFiles lists the files that may be bundles: in the root, then in
// Dir.
func bundleFiles(fsys fs.FS) ([]string, error) {
	root, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var files, dirs []string
	for _, e := range root {
		switch {
		case e.IsDir() && strings.EqualFold(e.Name(), Dir):
			dirs = append(dirs, e.Name())
		case isBundleName(e):
			files = append(files, e.Name())
		}
	}
	var errs []error
	for _, d := range dirs {
		entries, err := fs.ReadDir(fsys, d)
		if err != nil {
			errs = append(errs, err)
		}
		for _, e := range entries {
			if isBundleName(e) {
				files = append(files, path.Join(d, e.Name()))
			}
		}
	}
	return files, errors.Join(errs...)
}

func isBundleName(e fs.DirEntry) bool {
	n := e.Name()
	return e.Type().IsRegular() && !strings.HasPrefix(n, ".") && strings.EqualFold(path.Ext(n), bundle.Extension)
}

// openBundle checks the signature of the bundle name and that the file
// is exactly as long as its header, manifest, signature and parts.
func openBundle(fsys fs.FS, name string, trusted []*x509.Certificate) (Candidate, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return Candidate{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Candidate{}, err
	}
	cr := &countingReader{r: f}
	r, err := bundle.Open(cr, trusted)
	if err != nil {
		return Candidate{}, err
	}
	m := r.Manifest()
	want := cr.n
	for _, p := range m.Parts {
		want = addSize(want, p.Size)
	}
	switch {
	case fi.Size() < want:
		return Candidate{}, fmt.Errorf("%w: the file has %d bytes, bundle %s %s has %d", errShort, fi.Size(), m.Product, m.Version, want)
	case fi.Size() > want:
		return Candidate{}, fmt.Errorf("%w: the file has %d bytes, bundle %s %s only %d", errLong, fi.Size(), m.Product, m.Version, want)
	}
	return Candidate{Path: name, Manifest: m, Size: fi.Size()}, nil
}

// addSize adds part sizes, saturating: a sum past MaxInt64 is no file's.
func addSize(a, b int64) int64 {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

var (
	errShort = fmt.Errorf("%w: shorter than its manifest says", bundle.ErrTruncated)
	errLong  = fmt.Errorf("%w: longer than its manifest says (data after its end)", bundle.ErrFormat)
)

// countingReader counts what bundle.Open read: the header, manifest and
// signature, whose lengths only the header knows.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
