package efivar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/plinth-os/plinth/internal/guid"
)

// Where the kernel exposes UEFI; u-root's init mounts efivarfs there.
const (
	DefaultEFIDir      = "/sys/firmware/efi"
	DefaultEfivarfsDir = "/sys/firmware/efi/efivars"
)

// Efivarfs is a Store on an efivarfs mount: each variable is a file
// <Name>-<GUID> holding 4 bytes of attributes (little-endian) followed by
// the data. Any directory works, which is how tests use it.
type Efivarfs struct {
	dir   string
	plain bool // dir is not efivarfs: emulate its replace-on-write
}

var _ Store = (*Efivarfs)(nil)

// NewEfivarfs returns a Store on dir, which need not be an efivarfs mount:
// tests point it at a temporary directory.
func NewEfivarfs(dir string) *Efivarfs {
	return &Efivarfs{dir: dir, plain: checkEfivarfs(dir) != nil}
}

// OpenEfivarfs returns the system's Store after checking that we were booted
// by UEFI and that efivarfs is mounted at DefaultEfivarfsDir.
func OpenEfivarfs() (*Efivarfs, error) { return openEfivarfs(DefaultEFIDir, DefaultEfivarfsDir) }

func openEfivarfs(efiDir, dir string) (*Efivarfs, error) {
	if _, err := os.Stat(efiDir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("efivar: %s does not exist: not booted in UEFI mode (or sysfs is not mounted on /sys)", efiDir)
		}
		return nil, fmt.Errorf("efivar: %w", err)
	}
	if err := checkEfivarfs(dir); err != nil {
		return nil, fmt.Errorf("efivar: efivarfs is not mounted on %s (%v): run mount -t efivarfs efivarfs %s", dir, err, dir)
	}
	return &Efivarfs{dir: dir}, nil
}

// Dir returns the directory the store reads and writes.
func (e *Efivarfs) Dir() string { return e.dir }

func (e *Efivarfs) path(name string, vendor guid.GUID) string {
	return filepath.Join(e.dir, name+"-"+vendor.String())
}

func (e *Efivarfs) Get(name string, vendor guid.GUID) (uint32, []byte, error) {
	if err := checkName(name); err != nil {
		return 0, nil, err
	}
	p := e.path(name, vendor)
	b, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil, fmt.Errorf("efivar: read %s: %w", p, ErrNotFound)
	case err != nil:
		return 0, nil, fmt.Errorf("efivar: read %s: %w", p, err)
	case len(b) < 4:
		// Created but never successfully written, or emptied: efivarfs
		// shows such files until they are removed.
		return 0, nil, fmt.Errorf("efivar: read %s: %w", p, ErrNotFound)
	}
	return binary.LittleEndian.Uint32(b), b[4:], nil
}

func (e *Efivarfs) Set(name string, vendor guid.GUID, attrs uint32, data []byte) error {
	if err := checkSet(name, vendor, attrs, data); err != nil {
		return err
	}
	p := e.path(name, vendor)
	buf := make([]byte, 4, 4+len(data))
	binary.LittleEndian.PutUint32(buf, attrs)
	buf = append(buf, data...)
	if err := e.set(p, buf); err != nil {
		return fmt.Errorf("efivar: write %s: %w", p, err)
	}
	return nil
}

// set follows libefivar: clear the immutable flag through a read-only
// descriptor if the variable exists, else create the file exclusively
// (and clear the flag the kernel may have set on creation), write the
// whole variable at once, then restore the flag.
func (e *Efivarfs) set(p string, buf []byte) error {
	flags := os.O_WRONLY
	rf, err := os.Open(p)
	switch {
	case err == nil:
		defer rf.Close()
		st, err := clearImmutable(rf)
		if err != nil {
			return err
		}
		defer st.restore()
		if e.plain {
			// A plain file would keep the old tail; efivarfs replaces
			// the variable on write and must not see O_TRUNC.
			flags |= os.O_TRUNC
		}
	case errors.Is(err, fs.ErrNotExist):
		flags |= os.O_CREATE | os.O_EXCL
	default:
		return err
	}

	wf, err := os.OpenFile(p, flags, 0o644)
	if err != nil {
		return err
	}
	if rf == nil {
		st, err := clearImmutable(wf)
		if err != nil {
			wf.Close()
			os.Remove(p)
			return err
		}
		defer st.restore()
	}
	werr := writeOnce(wf, buf)
	cerr := wf.Close()
	if werr != nil {
		if rf == nil {
			// efivarfs keeps an empty file for a variable that was
			// created but never written.
			os.Remove(p)
		}
		return werr
	}
	return cerr
}

// writeOnce writes b with exactly one write(2). efivarfs turns each write
// into one SetVariable call, so os.File.Write's retry of a short write
// would store a second, truncated variable instead of completing the first.
func writeOnce(f *os.File, b []byte) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var n int
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true
			}
		}
	})
	switch {
	case err != nil:
		return err
	case werr != nil:
		return werr
	case n != len(b):
		return fmt.Errorf("short write: %d of %d bytes", n, len(b))
	}
	return nil
}

func (e *Efivarfs) Delete(name string, vendor guid.GUID) error {
	if err := checkName(name); err != nil {
		return err
	}
	p := e.path(name, vendor)
	f, err := os.Open(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("efivar: delete %s: %w", p, ErrNotFound)
	case err != nil:
		return fmt.Errorf("efivar: delete %s: %w", p, err)
	}
	defer f.Close()
	st, err := clearImmutable(f)
	if err != nil {
		return fmt.Errorf("efivar: delete %s: %w", p, err)
	}
	if err := os.Remove(p); err != nil {
		st.restore()
		return fmt.Errorf("efivar: delete %s: %w", p, err)
	}
	return nil
}

func (e *Efivarfs) List() ([]VarRef, error) {
	ents, err := os.ReadDir(e.dir)
	if err != nil {
		return nil, fmt.Errorf("efivar: list %s: %w", e.dir, err)
	}
	const guidLen = 36
	var refs []VarRef
	for _, ent := range ents {
		n := ent.Name()
		if !ent.Type().IsRegular() || len(n) < guidLen+2 || n[len(n)-guidLen-1] != '-' {
			continue
		}
		g, err := guid.Parse(n[len(n)-guidLen:])
		if err != nil {
			continue
		}
		if info, err := ent.Info(); err != nil || info.Size() < 4 {
			continue // vanished, or an empty (deleted) variable
		}
		refs = append(refs, VarRef{Name: n[:len(n)-guidLen-1], GUID: g})
	}
	sortRefs(refs)
	return refs, nil
}
