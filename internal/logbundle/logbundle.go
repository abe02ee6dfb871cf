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
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
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

// kmsgBufSize is larger than the longest record /dev/kmsg returns
// (CONSOLE_EXT_LOG_MAX, 8 KiB); a smaller buffer makes read fail with
// EINVAL.
const kmsgBufSize = 16 << 10

// KernelLog returns the kernel's log buffer, read from devRoot/kmsg
// (normally /dev/kmsg), formatted as dmesg does: "[    1.234567] message"
// per line. It reads without blocking until the buffer is drained, so it
// returns as soon as it has read what the kernel had logged.
func KernelLog(devRoot string) ([]byte, error) {
	p := filepath.Join(devRoot, "kmsg")
	// unix.Open rather than os.Open: the os package would put a character
	// device in the runtime poller and wait on EAGAIN instead of returning.
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("logbundle: open %s: %w", p, err)
	}
	defer unix.Close(fd)
	var raw bytes.Buffer
	var out bytes.Buffer
	buf := make([]byte, kmsgBufSize)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case errors.Is(err, unix.EAGAIN) || (err == nil && n == 0):
			formatKmsg(&out, raw.Bytes())
			return out.Bytes(), nil
		case errors.Is(err, unix.EPIPE):
			// The ring buffer overwrote records before we read them;
			// the next read returns the oldest one still there.
			formatKmsg(&out, raw.Bytes())
			raw.Reset()
			out.WriteString("[logbundle: kernel messages lost here: the log buffer wrapped while it was read]\n")
			continue
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return nil, fmt.Errorf("logbundle: read %s: %w", p, err)
		}
		raw.Write(buf[:n])
	}
}

// formatKmsg appends the records in b, as /dev/kmsg returns them, to out
// in dmesg's format. A record is a line "prio,seq,usec,flags[,...];text"
// followed by continuation lines that start with a space (" KEY=value"
// device properties), which are left out. A line that does not parse is
// kept as it is rather than lost.
func formatKmsg(out *bytes.Buffer, b []byte) {
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" || line[0] == ' ' {
			continue
		}
		out.WriteString(formatRecord(line))
		out.WriteByte('\n')
	}
}

// formatRecord formats one record header line.
func formatRecord(line string) string {
	hdr, text, ok := strings.Cut(line, ";")
	if !ok {
		return line
	}
	fields := strings.Split(hdr, ",")
	if len(fields) < 3 {
		return line
	}
	usec, err := strconv.ParseUint(fields[2], 10, 64)
	if err != nil {
		return line
	}
	return fmt.Sprintf("[%5d.%06d] %s", usec/1e6, usec%1e6, text)
}
