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
	// Owners gives files of Files or Executables another mode and owner
	// than root and 0644 (0755 for executables), by the same path.
	Owners map[string]FileMeta
}

// FileMeta is a file's permission bits (setuid, setgid and sticky
// included) and owner in the archive.
type FileMeta struct {
	Perm     uint32
	UID, GID uint32
}

// Records returns the archive entries: directories, /dev/console (the
// kernel opens it before init runs), the binary, the symlinks and files,
// in a fixed order with reproducible metadata.
func (im Image) Records() ([]cpio.Record, error) {
	if err := im.checkCommands(); err != nil {
		return nil, err
	}
	files, err := im.archiveFiles()
	if err != nil {
		return nil, err
	}
	for p := range im.Owners {
		if im.Files[p] == nil && im.Executables[p] == nil {
			return nil, fmt.Errorf("initramfs: owner given for %s, which is not a file of the image", p)
		}
	}
	recs := dirRecords(files)
	recs = append(recs, cpio.CharDev("dev/console", 0o600, 5, 1))
	recs = append(recs, im.commandRecords()...)
	for _, f := range files {
		recs = append(recs, cpio.StaticFile(f.rel, string(f.data), f.perm))
	}
	cpio.MakeAllReproducible(recs) // sets every owner to root
	for i := range recs {
		if m, ok := im.Owners["/"+recs[i].Name]; ok {
			recs[i].Mode = cpio.S_IFREG | uint64(m.Perm&0o7777)
			recs[i].UID, recs[i].GID = uint64(m.UID), uint64(m.GID)
		}
	}
	return recs, nil
}

// checkCommands makes sure the image can boot: a binary, an init command,
// and a uinit that is one of the commands.
func (im Image) checkCommands() error {
	if len(im.Busybox) == 0 {
		return fmt.Errorf("initramfs: no busybox binary")
	}
	hasInit, hasUinit := false, false
	for _, c := range im.Commands {
		hasInit = hasInit || c == "init"
		hasUinit = hasUinit || c == im.Uinit
	}
	if !hasInit {
		return fmt.Errorf("initramfs: command list lacks init")
	}
	if im.Uinit != "" && !hasUinit {
		return fmt.Errorf("initramfs: uinit %q is not one of the commands", im.Uinit)
	}
	return nil
}

// fileEntry is a regular file of the archive.
type fileEntry struct {
	rel  string // path relative to the archive root
	data []byte
	perm uint64
}

// archiveFiles returns Files and Executables, sorted by path.
func (im Image) archiveFiles() ([]fileEntry, error) {
	all := map[string]fileEntry{}
	for p, data := range im.Files {
		all[p] = fileEntry{data: data, perm: 0o644}
	}
	for p, data := range im.Executables {
		if _, dup := all[p]; dup {
			return nil, fmt.Errorf("initramfs: %s is both a file and an executable", p)
		}
		all[p] = fileEntry{data: data, perm: 0o755}
	}
	files := make([]fileEntry, 0, len(all))
	for p, f := range all {
		rel, err := relPath(p)
		if err != nil {
			return nil, err
		}
		f.rel = rel
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files, nil
}

// dirRecords returns the directories init and the files need, parents
// first.
func dirRecords(files []fileEntry) []cpio.Record {
	dirs := map[string]bool{"bbin": true, "dev": true, "etc": true, "proc": true, "sys": true, "tmp": true}
	for _, f := range files {
		for d := path.Dir(f.rel); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
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
	return recs
}

// commandRecords returns the binary, a symlink to it for each command,
// and the uinit and /init links.
func (im Image) commandRecords() []cpio.Record {
	recs := []cpio.Record{cpio.StaticFile("bbin/bb", string(im.Busybox), 0o755)}
	names := append([]string(nil), im.Commands...)
	sort.Strings(names)
	for _, n := range names {
		recs = append(recs, cpio.Symlink("bbin/"+n, "bb"))
	}
	if im.Uinit != "" && im.Uinit != "uinit" {
		recs = append(recs, cpio.Symlink("bbin/uinit", im.Uinit))
	}
	return append(recs, cpio.Symlink("init", "bbin/init"))
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
		// Literals stored as they are, not Huffman-coded: the kernel
		// unpacks the archive while it boots, and decoding them was a
		// good part of that (9 MiB of busybox binary: 0.9-1.2 s instead
		// of 1.1-1.4 s under TCG), for 10 % more bytes (the runtime's
		// 3.8 MB instead of 3.5).
		zstd.WithNoEntropyCompression(true),
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
