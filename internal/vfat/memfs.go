package vfat

import (
	"bytes"
	"io/fs"
	"testing/fstest"
)

// MemFS is a file tree held in memory, for Options.Source: each regular
// file opens as a bytes.Reader, whose io.WriterTo lets Format write it
// straight from memory instead of copying it through a buffer (a UKI is
// megabytes, and an ESP holds it twice).
type MemFS struct{ fstest.MapFS }

// Open opens name; a regular file reads from its bytes.
func (m MemFS) Open(name string) (fs.File, error) {
	f, err := m.MapFS.Open(name)
	mf, ok := m.MapFS[name]
	if err != nil || !ok || !mf.Mode.IsRegular() {
		return f, err
	}
	return memFile{bytes.NewReader(mf.Data), f}, nil
}

// memFile reads a file of a MemFS; Stat and Close are the MapFS file's.
type memFile struct {
	*bytes.Reader
	file fs.File
}

func (f memFile) Stat() (fs.FileInfo, error) { return f.file.Stat() }
func (f memFile) Close() error               { return f.file.Close() }
