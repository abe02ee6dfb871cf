// Command mkfs-ext4 makes an ext4 filesystem: a subset of mke2fs.
//
//	mkfs-ext4 [-q] [-F] [-L LABEL] [-U UUID|random] [-b 1024|2048|4096]
//	          [-E root_owner[=UID:GID]] [-d DIR] TARGET [SIZE]
//
// TARGET is a block device or an image file. Without SIZE the whole
// device or file is used; with SIZE (like mke2fs: a number of blocks if -b
// is given, of KiB otherwise, or a number with suffix s, K, M, G or T) an
// image file is created or extended, sparsely, to SIZE. A mounted target is
// always refused; one that holds a recognizable filesystem or partition
// table only with -F. When the request is refused nothing is written.
//
// -d copies DIR into the new filesystem (directories, regular files,
// symlinks, with their permissions and owners). Timestamps are
// $SOURCE_DATE_EPOCH if set, for reproducible images, else the current
// time. Without -U the UUID is random.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/ext4/mkext4"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "mkfs-ext4: %v\n", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage marks command-line errors.
var errUsage = errors.New("usage")

const usage = "usage: mkfs-ext4 [-q] [-F] [-L LABEL] [-U UUID|random] [-b 1024|2048|4096] [-E root_owner[=UID:GID]] [-d DIR] TARGET [SIZE]"

// config is the parsed command line.
type config struct {
	target string
	size   int64 // -1: the whole target
	force  bool
	quiet  bool
	opts   mkext4.Options
}

// run is the command with its environment passed in, for tests.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseArgs(args, getenv, stderr)
	if err != nil {
		return err
	}
	t, err := openTarget(c.target, c.size, c.force)
	if err != nil {
		return err
	}
	err = t.format(c.opts)
	if cerr := t.close(err); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if !c.quiet {
		return t.report(stdout)
	}
	return nil
}

// parseArgs turns the command line into a config; it touches nothing.
func parseArgs(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("mkfs-ext4", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	label := fs.String("L", "", "volume label (at most 16 bytes)")
	uuidArg := fs.String("U", "random", "filesystem UUID, or \"random\"")
	bs := fs.Int("b", 0, "block size: 1024, 2048 or 4096 (default 4096)")
	ext := fs.String("E", "", "extended options: root_owner[=UID:GID]")
	dir := fs.String("d", "", "copy this directory tree into the filesystem")
	force := fs.Bool("F", false, "format even if TARGET holds a filesystem or partition table")
	quiet := fs.Bool("q", false, "print nothing on success")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return nil, fmt.Errorf("%w: want TARGET [SIZE]\n%s", errUsage, usage)
	}
	c := &config{target: fs.Arg(0), size: -1, force: *force, quiet: *quiet}
	c.opts.Label, c.opts.BlockSize = *label, *bs
	var err error
	if c.opts.UUID, err = parseUUID(*uuidArg); err != nil {
		return nil, err
	}
	if err := parseExtended(*ext, &c.opts); err != nil {
		return nil, err
	}
	if fs.NArg() == 2 {
		if c.size, err = parseSize(fs.Arg(1), *bs); err != nil {
			return nil, err
		}
	}
	if c.opts.ModTime, err = buildTime(getenv("SOURCE_DATE_EPOCH")); err != nil {
		return nil, err
	}
	if *dir != "" {
		if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("-d %s: not a directory (%v)", *dir, err)
		}
		c.opts.Source = os.DirFS(*dir)
		c.opts.Owner = statOwner
	}
	return c, nil
}

// buildTime is $SOURCE_DATE_EPOCH, or now.
func buildTime(epoch string) (time.Time, error) {
	if epoch == "" {
		return time.Now(), nil
	}
	s, err := strconv.ParseInt(strings.TrimSpace(epoch), 10, 64)
	if err != nil || s < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative integer", epoch)
	}
	return time.Unix(s, 0), nil
}
