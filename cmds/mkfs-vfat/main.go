// Command mkfs-vfat creates a FAT12, FAT16 or FAT32 filesystem with
// Plinth's own FAT writer (internal/vfat), taking a subset of mkfs.fat's
// options:
//
//	mkfs-vfat [-F 12|16|32] [-n LABEL] [-i VOLID] [-s SECTORS_PER_CLUSTER]
//	          [-S SECTOR_SIZE] [--offset SECTORS] [-C] [-d DIR] [-v]
//	          TARGET [SIZE_KIB]
//
// TARGET is an image file or a block device. With -C it is a new image
// file of SIZE_KIB KiB (plus the offset); otherwise its size is used, or
// SIZE_KIB if given. -d copies a directory's contents into the new
// filesystem. The output is reproducible: the volume ID, unless given
// with -i, is derived from the content.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/plinth-os/plinth/internal/vfat"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		fmt.Fprintf(os.Stderr, "mkfs-vfat: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "mkfs-vfat: %v\n", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line, reported with exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + " (see mkfs-vfat -h)" }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// config is the parsed command line.
type config struct {
	fatType, spc, sectorSize int
	label, volID, dir        string
	offset                   int64 // in sectors
	create, verbose          bool
	target                   string
	sizeKiB                  int64 // 0 if not given
}

// run is the whole command, with its outputs as parameters for tests.
func run(args []string, stdout, stderr io.Writer) error {
	c, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	opts := vfat.Options{FATType: c.fatType, Label: c.label, SectorsPerCluster: c.spc, SectorSize: c.sectorSize}
	if c.volID != "" {
		id, err := strconv.ParseUint(c.volID, 16, 32)
		if err != nil {
			return usagef("-i %q: the volume ID must be up to 8 hex digits", c.volID)
		}
		opts.VolumeID = uint32(id)
	}
	if c.dir != "" {
		if fi, err := os.Stat(c.dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("-d %s: not a readable directory", c.dir)
		}
		opts.Source = os.DirFS(c.dir)
	}
	if c.offset < 0 || c.offset > math.MaxUint32 {
		return usagef("--offset %d: must be between 0 and %d sectors", c.offset, uint32(math.MaxUint32))
	}
	opts.HiddenSectors = uint32(c.offset)

	t, err := openTarget(c)
	if err != nil {
		return err
	}
	if opts.SectorSize == 0 {
		opts.SectorSize = t.sectorSize
	}
	off := c.offset * int64(max(opts.SectorSize, 512))
	size, err := t.fsSize(c, off)
	if err == nil {
		err = vfat.Format(t.dev, off, size, opts)
	}
	if err == nil {
		err = t.dev.Sync()
	}
	if cerr := t.dev.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if c.create {
			os.Remove(c.target) // do not leave a half-made image behind
		}
		return fmt.Errorf("%s: %s", c.target, strings.TrimPrefix(err.Error(), "vfat: "))
	}
	if c.verbose {
		return describe(stdout, c.target, off, size)
	}
	return nil
}

// parseArgs parses the command line. Options may follow TARGET, as
// with mkfs.fat, and take their value attached (-F32) or separate.
func parseArgs(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fl := flag.NewFlagSet("mkfs-vfat", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.IntVar(&c.fatType, "F", 0, "FAT `type`: 12, 16 or 32 (default: chosen by size, as mkfs.fat does)")
	fl.StringVar(&c.label, "n", "", "volume `label`, up to 11 characters, stored upper-case")
	fl.StringVar(&c.volID, "i", "", "volume ID as up to 8 `hex` digits (default: derived from the content)")
	fl.IntVar(&c.spc, "s", 0, "`sectors` per cluster, a power of two (default: chosen by size)")
	fl.IntVar(&c.sectorSize, "S", 0, "logical sector `size`: 512, 1024, 2048 or 4096 (default: the device's, else 512)")
	fl.Int64Var(&c.offset, "offset", 0, "write the filesystem this many `sectors` into TARGET; also sets the hidden sectors")
	fl.BoolVar(&c.create, "C", false, "create TARGET as a new image file of SIZE_KIB KiB")
	fl.StringVar(&c.dir, "d", "", "copy the contents of `directory` into the new filesystem")
	fl.BoolVar(&c.verbose, "v", false, "describe the filesystem made")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: mkfs-vfat [options] TARGET [SIZE_KIB]\n\nMake a FAT filesystem on TARGET, an image file or block device.")
		fl.PrintDefaults()
	}
	args = splitAttached(args)
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fl.NArg() == 0 {
			break
		}
		pos = append(pos, fl.Arg(0))
		args = fl.Args()[1:]
	}
	switch len(pos) {
	case 0:
		return nil, usagef("no TARGET given")
	case 1, 2:
	default:
		return nil, usagef("too many arguments: %q", pos[2:])
	}
	c.target = pos[0]
	if len(pos) == 2 {
		n, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64>>10 {
			return nil, usagef("SIZE_KIB %q: must be a positive number of KiB", pos[1])
		}
		c.sizeKiB = n
	}
	if c.create && c.sizeKiB == 0 {
		return nil, usagef("-C needs a size: mkfs-vfat -C %s SIZE_KIB", c.target)
	}
	return c, nil
}

// splitAttached turns mkfs.fat's attached short options ("-F32",
// "-nLABEL") into the separate form Go's flag package parses.
func splitAttached(args []string) []string {
	var out []string
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && strings.IndexByte("FnisSd", a[1]) >= 0 && a[2] != '=' {
			out = append(out, a[:2], a[2:])
			continue
		}
		out = append(out, a)
	}
	return out
}

// describe prints a one-line summary of the filesystem made.
func describe(w io.Writer, target string, off, size int64) error {
	f, err := os.Open(target)
	if err != nil {
		return err
	}
	defer f.Close()
	fsys, err := vfat.Open(f, off, size)
	if err != nil {
		return fmt.Errorf("%s: reading back: %w", target, err)
	}
	bs := fsys.BootSector()
	_, err = fmt.Fprintf(w, "%s: FAT%d, label %q, volume ID %04X-%04X, %d clusters of %d bytes\n", target, bs.FATType,
		bs.Label, bs.VolumeID>>16, bs.VolumeID&0xFFFF, bs.Clusters, bs.SectorsPerCluster*bs.BytesPerSector)
	return err
}
