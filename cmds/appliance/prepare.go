package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/plinth-os/plinth/internal/productspec"
	"golang.org/x/sys/unix"
)

// Modes the appliance gives at every boot. The logs are written by the
// supervisor, as root, and are not the services' to read.
const (
	dataMode = 0o755
	logMode  = 0o750
	tmpMode  = 0o1777 // everyone's, each file its owner's (sticky)
)

// prepareFiles makes the filesystem safe for services that are not
// root, so that they can write only their own directories, /tmp and
// /dev/shm (and devices such as /dev/null): it takes write access for
// others than root away from the runtime image's directories, and
// creates the product's directories on the data partition with their
// owner and mode.
//
// The runtime image's directories come from the initramfs as root 0755,
// but init (u-root's libinit) creates more with mode 0777 and a zero
// umask (/buildbin, /ubin, /env, /tcz, /lib, /usr/lib, /var/log, /go/...),
// and the rootfs itself may be a tmpfs whose root is 1777.
func (a *appliance) prepareFiles(spec *productspec.Spec) error {
	p := a.paths
	fixed, err := closeRoot(p.Root, p.Tmp, p.Dev, p.Sys, p.Data, p.ESP)
	if len(fixed) > 0 {
		a.say("Runtime image: no longer writable by others than root: %s", strings.Join(fixed, " "))
	}
	if err != nil {
		a.say("Warning: %v", err)
	}
	for _, d := range []string{p.Tmp, filepath.Join(p.Dev, "shm")} {
		if err := ownDir(d, 0, 0, tmpMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			a.say("Warning: %v", err)
		}
	}
	if err := ensureDir(p.Data, "", 0, 0, dataMode); err != nil {
		return err
	}
	if err := ensureDir(p.Data, "log", 0, 0, logMode); err != nil {
		return err
	}
	for _, d := range spec.DataDirs {
		rel := strings.TrimPrefix(d.Path, productspec.DataRoot+"/")
		if err := ensureDir(p.Data, rel, d.UID, d.GID, d.Mode); err != nil {
			return fmt.Errorf("%s: %w", d.Path, err)
		}
	}
	return nil
}

// closeRoot removes group and other write permission from every
// directory of the filesystem at root, except below the paths of keep
// and other filesystems mounted on it. It returns the directories it
// changed.
func closeRoot(root string, keep ...string) ([]string, error) {
	var st unix.Stat_t
	if err := unix.Lstat(root, &st); err != nil {
		return nil, fmt.Errorf("runtime image: %s: %w", root, err)
	}
	var fixed []string
	var errs []error
	walk := func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil // unreadable, or not a directory: nothing to close
		}
		var s unix.Stat_t
		if slices.Contains(keep, path) || unix.Lstat(path, &s) != nil || s.Dev != st.Dev {
			return filepath.SkipDir
		}
		if s.Mode&0o022 != 0 {
			if err := unix.Chmod(path, s.Mode&0o7777&^0o022); err != nil {
				errs = append(errs, fmt.Errorf("runtime image: chmod %s: %w", path, err))
			} else {
				fixed = append(fixed, path)
			}
		}
		return nil
	}
	filepath.WalkDir(root, walk)
	return fixed, errors.Join(errs...)
}

// ownDir gives the existing directory path owner and mode.
func ownDir(path string, uid, gid, mode uint32) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	return setOwner(fd, path, uid, gid, mode)
}

func setOwner(fd int, path string, uid, gid, mode uint32) error {
	if err := unix.Fchown(fd, int(uid), int(gid)); err != nil {
		return &fs.PathError{Op: "chown", Path: path, Err: err}
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		return &fs.PathError{Op: "chmod", Path: path, Err: err}
	}
	return nil
}

// ensureDir creates base/rel (rel slash-separated; "" is base itself)
// and its missing parents (root's, 0755), then gives it owner and mode.
// It follows no symbolic link below base: a service that owns a
// directory on the way cannot point the chown at something else.
func ensureDir(base, rel string, uid, gid, mode uint32) error {
	fd, err := unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: base, Err: err}
	}
	path := base
	for _, part := range strings.Split(rel, "/") {
		if part == "" {
			continue
		}
		path = filepath.Join(path, part)
		if err := unix.Mkdirat(fd, part, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			unix.Close(fd)
			return &fs.PathError{Op: "mkdir", Path: path, Err: err}
		}
		next, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return &fs.PathError{Op: "open", Path: path, Err: err}
		}
		fd = next
	}
	defer unix.Close(fd)
	return setOwner(fd, path, uid, gid, mode)
}
