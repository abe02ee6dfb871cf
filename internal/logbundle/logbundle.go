// Package logbundle is the installer's "Export logs" button. When an
// install fails on a machine with no network and no shell, the only way
// for the logs to reach someone who can read them is a USB stick: this
// package packs the logs into one gzip-compressed tar (Build, with the
// kernel log from KernelLog), finds the FAT-formatted removable disks it
// may write to (Targets: never the boot medium, the install target, a
// fixed disk or a read-only one), and writes the bundle there without
// overwriting anything (Export), synced and unmounted so that the user
// may pull the stick out as soon as it returns.
package logbundle

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"github.com/plinth-os/plinth/internal/kmsg"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File is one file of a bundle.
type File struct {
	Name string // slash-separated path inside the archive, e.g. "installer.log"
	Data []byte
}

// Name returns the file name of a bundle made at now, in now's location:
// plinth-logs-20261122-051500.tar.gz.
func Name(now time.Time) string {
	return "plinth-logs-" + now.Format("20060102-150405") + ".tar.gz"
}

// Build writes files to w as a gzip-compressed tar archive. Entries are
// sorted by name, regular files of mode 0644 owned by root, all with the
// modification time now, so that the same files and time give the same
// bytes. Names must be valid fs.FS paths (relative, no "..") and unique.
func Build(w io.Writer, files []File, now time.Time) error {
	sorted := slices.Clone(files)
	slices.SortStableFunc(sorted, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	for i, f := range sorted {
		if !fs.ValidPath(f.Name) || f.Name == "." {
			return fmt.Errorf("logbundle: file name %q: not a relative slash-separated path", f.Name)
		}
		if i > 0 && sorted[i-1].Name == f.Name {
			return fmt.Errorf("logbundle: file %q given twice", f.Name)
		}
	}
	now = now.Truncate(time.Second)
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("logbundle: gzip: %w", err)
	}
	gz.ModTime = now
	tw := tar.NewWriter(gz)
	for _, f := range sorted {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.Name,
			Mode:     0o644,
			Size:     int64(len(f.Data)),
			ModTime:  now,
			Uname:    "root",
			Gname:    "root",
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("logbundle: tar header of %s: %w", f.Name, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return fmt.Errorf("logbundle: write %s: %w", f.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("logbundle: finish tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("logbundle: finish gzip: %w", err)
	}
	return nil
}

// KernelLog returns the kernel's log buffer from devRoot/kmsg (normally
// /dev/kmsg) in dmesg's format.
func KernelLog(devRoot string) ([]byte, error) {
	b, err := kmsg.ReadAll(filepath.Join(devRoot, "kmsg"))
	if err != nil {
		return nil, fmt.Errorf("logbundle: %w", err)
	}
	return b, nil
}
