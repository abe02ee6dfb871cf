package initramfs

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/klauspost/compress/zstd"
	"github.com/u-root/u-root/pkg/cpio"
)

// zstdWindow is the window size used for the archive. The kernel's zstd
// decompressor for the initramfs rejects frames with windows over 128 MiB;
// 8 MiB keeps memory small at boot with little loss in ratio.
const zstdWindow = 8 << 20

// Image describes an initramfs.
type Image struct {
	Busybox  []byte            // the busybox-style binary, stored as /bbin/bb
	Commands []string          // argv[0] names available as /bbin/<name>
	Uinit    string            // command that u-root init runs as /bbin/uinit
	Files    map[string][]byte // extra regular files by absolute path (configuration, manifests)
	// Executables are payload programs that are not part of the busybox
	// binary (static binaries shipped as they are), stored with mode 0755.
	Executables map[string][]byte
}

// Records returns the archive entries: directories, /dev/console (the
// kernel opens it before init runs), the binary, the symlinks and files,
// in a fixed order with reproducible metadata.
func (im Image) Records() ([]cpio.Record, error) {
	if len(im.Busybox) == 0 {
		return nil, fmt.Errorf("initramfs: no busybox binary")
	}
	hasInit, hasUinit := false, false
	for _, c := range im.Commands {
		hasInit = hasInit || c == "init"
		hasUinit = hasUinit || c == im.Uinit
	}
	if !hasInit {
		return nil, fmt.Errorf("initramfs: command list lacks init")
	}
	if im.Uinit != "" && !hasUinit {
		return nil, fmt.Errorf("initramfs: uinit %q is not one of the commands", im.Uinit)
	}
	dirs := map[string]bool{"bbin": true, "dev": true, "etc": true, "proc": true, "sys": true, "tmp": true}
	var files []string
	all := map[string]fileEntry{}
	for p, data := range im.Files {
		all[p] = fileEntry{data, 0o644}
	}
	for p, data := range im.Executables {
		if _, dup := all[p]; dup {
			return nil, fmt.Errorf("initramfs: %s is both a file and an executable", p)
		}
		all[p] = fileEntry{data, 0o755}
	}
	for p := range all {
		rel, err := relPath(p)
		if err != nil {
			return nil, err
		}
		files = append(files, p)
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	sort.Strings(files)
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList) // parents sort before children

	var recs []cpio.Record
	for _, d := range dirList {
		mode := uint64(0o755)
		if d == "tmp" {
			mode = 0o1777
		}
		recs = append(recs, cpio.Directory(d, mode))
	}
	recs = append(recs, cpio.CharDev("dev/console", 0o600, 5, 1))
	recs = append(recs, cpio.StaticFile("bbin/bb", string(im.Busybox), 0o755))
	names := append([]string(nil), im.Commands...)
	sort.Strings(names)
	for _, n := range names {
		recs = append(recs, cpio.Symlink("bbin/"+n, "bb"))
	}
	if im.Uinit != "" && im.Uinit != "uinit" {
		recs = append(recs, cpio.Symlink("bbin/uinit", im.Uinit))
	}
	recs = append(recs, cpio.Symlink("init", "bbin/init"))
	for _, p := range files {
		rel, _ := relPath(p)
		recs = append(recs, cpio.StaticFile(rel, string(all[p].data), all[p].perm))
	}
	cpio.MakeAllReproducible(recs)
	return recs, nil
}

type fileEntry struct {
	data []byte
	perm uint64
}

func relPath(p string) (string, error) {
	clean := path.Clean(p)
	if !path.IsAbs(p) || clean == "/" || clean != p {
		return "", fmt.Errorf("initramfs: file path %q must be absolute and clean", p)
	}
	return clean[1:], nil
}

// WriteCPIO writes the uncompressed newc archive.
func (im Image) WriteCPIO(w io.Writer) error {
	recs, err := im.Records()
	if err != nil {
		return err
	}
	rw := cpio.Newc.Writer(w)
	if err := cpio.WriteRecords(rw, recs); err != nil {
		return fmt.Errorf("initramfs: write cpio: %w", err)
	}
	if err := cpio.WriteTrailer(rw); err != nil {
		return fmt.Errorf("initramfs: write cpio trailer: %w", err)
	}
	return nil
}

// Build returns the zstd-compressed archive, ready for a UKI's .initrd.
func (im Image) Build() ([]byte, error) {
	var raw bytes.Buffer
	if err := im.WriteCPIO(&raw); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc, err := zstd.NewWriter(&out,
		zstd.WithWindowSize(zstdWindow),
		zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
		zstd.WithEncoderConcurrency(1), // concurrency changes frame layout; one keeps output reproducible
		zstd.WithZeroFrames(true))
	if err != nil {
		return nil, fmt.Errorf("initramfs: zstd: %w", err)
	}
	if _, err := enc.Write(raw.Bytes()); err != nil {
		return nil, fmt.Errorf("initramfs: compress: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("initramfs: compress: %w", err)
	}
	return out.Bytes(), nil
}

// Read decompresses and parses an archive made by Build.
func Read(compressed []byte) ([]cpio.Record, error) {
	dec, err := zstd.NewReader(bytes.NewReader(compressed), zstd.WithDecoderMaxWindow(128<<20))
	if err != nil {
		return nil, fmt.Errorf("initramfs: zstd: %w", err)
	}
	defer dec.Close()
	raw, err := io.ReadAll(dec)
	if err != nil {
		return nil, fmt.Errorf("initramfs: decompress: %w", err)
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(raw)))
	if err != nil {
		return nil, fmt.Errorf("initramfs: read cpio: %w", err)
	}
	return recs, nil
}
