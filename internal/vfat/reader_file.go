package vfat

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// file is an open regular file of an FS.
type file struct {
	fsys     *FS
	info     *DirEntry
	clusters []uint32
	pos      int64
}

func (r *file) Stat() (fs.FileInfo, error) { return r.info, nil }
func (r *file) Close() error               { return nil }

func (r *file) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	return n, err
}

// ReadAt reads from the file's clusters, one cluster run at a time.
func (r *file) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: r.info.name, Err: fs.ErrInvalid}
	}
	size := r.info.Size()
	cs := r.fsys.clusterSize()
	n := 0
	for n < len(p) && off < size {
		i, within := off/cs, off%cs
		want := min(int64(len(p)-n), size-off)
		// Read a run of consecutive clusters at once.
		run := int64(1)
		for run*cs < within+want && r.clusters[i+run] == r.clusters[i]+uint32(run) {
			run++
		}
		k := min(want, run*cs-within)
		if _, err := r.fsys.r.ReadAt(p[n:n+int(k)], r.fsys.clusterOffset(r.clusters[i])+within); err != nil {
			return n, fmt.Errorf("vfat: reading %q: %w", r.info.name, err)
		}
		n += int(k)
		off += k
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *file) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.info.Size()
	}
	if offset < 0 {
		return 0, &fs.PathError{Op: "seek", Path: r.info.name, Err: fs.ErrInvalid}
	}
	r.pos = offset
	return offset, nil
}

// dirFile is an open directory of an FS.
type dirFile struct {
	info    *DirEntry
	entries []fs.DirEntry
	pos     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}

// ReadDir follows the fs.ReadDirFile contract.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.pos:]
	if n <= 0 {
		d.pos = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.pos += len(rest)
	return rest, nil
}
