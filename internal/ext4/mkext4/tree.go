package mkext4

import (
	"fmt"
	"io/fs"
	"path"
)

// node is a directory, regular file or symlink to store.
type node struct {
	name     string // entry name in the parent
	path     string // name in Source ("." for the root)
	mode     uint16 // i_mode, type included
	uid, gid uint32
	size     uint64 // file size; for symlinks len(target)
	target   string // symlink target
	children []*node
	parent   *node // the root is its own parent
	ino      uint32

	// filled in by the layout
	data   []run // file, directory or slow-symlink blocks
	tree   extentTree
	nTree  uint64 // extent tree blocks outside the inode
	nblock uint64 // data blocks
}

func (n *node) isDir() bool     { return n.mode&0o170000 == modeDir }
func (n *node) isSymlink() bool { return n.mode&0o170000 == modeSymlink }

func (n *node) fileType() uint8 {
	switch {
	case n.isDir():
		return ftDir
	case n.isSymlink():
		return ftSymlink
	}
	return ftRegular
}

// scanSource reads the directory tree of fsys (metadata only) below root.
func scanSource(fsys fs.FS, root *node, owner func(string, fs.FileInfo) (uint32, uint32), bs uint64) error {
	return scanDir(fsys, root, owner, bs, true)
}

func scanDir(fsys fs.FS, dir *node, owner func(string, fs.FileInfo) (uint32, uint32), bs uint64, top bool) error {
	ents, err := fs.ReadDir(fsys, dir.path)
	if err != nil {
		return fmt.Errorf("ext4: read source directory %q: %w", dir.path, err)
	}
	for _, e := range ents {
		name := e.Name()
		p := path.Join(dir.path, name)
		if len(name) > maxNameLen {
			return fmt.Errorf("ext4: source %q: name longer than %d bytes: %w", p, maxNameLen, ErrUnsupported)
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("ext4: stat source %q: %w", p, err)
		}
		if top && name == "lost+found" {
			// mke2fs -d reuses an existing lost+found; an empty one is
			// the same as ours, anything else would be lost.
			if sub, err := fs.ReadDir(fsys, p); err != nil || !e.IsDir() || len(sub) > 0 {
				return fmt.Errorf("ext4: source %q: only an empty lost+found directory can be merged: %w", p, ErrUnsupported)
			}
			continue
		}
		n := &node{name: name, path: p, mode: permBits(info.Mode()), parent: dir}
		if owner != nil {
			n.uid, n.gid = owner(p, info)
		} else {
			n.uid, n.gid = dir.uid, dir.gid
		}
		switch t := info.Mode().Type(); {
		case t == fs.ModeDir:
			n.mode |= modeDir
			if err := scanDir(fsys, n, owner, bs, false); err != nil {
				return err
			}
		case t == 0:
			n.mode |= modeRegular
			n.size = uint64(info.Size())
		case t == fs.ModeSymlink:
			n.mode |= modeSymlink
			if n.target, err = fs.ReadLink(fsys, p); err != nil {
				return fmt.Errorf("ext4: read source symlink %q: %w", p, err)
			}
			if len(n.target) == 0 || uint64(len(n.target)) >= bs {
				return fmt.Errorf("ext4: source symlink %q: target of %d bytes (1 to %d allowed): %w",
					p, len(n.target), bs-1, ErrUnsupported)
			}
			n.size = uint64(len(n.target))
		default:
			return fmt.Errorf("ext4: source %q: file type %v not supported (only directories, regular files, symlinks): %w",
				p, t, ErrUnsupported)
		}
		dir.children = append(dir.children, n)
	}
	return nil
}

// permBits maps Go permission and special bits to i_mode's low 12 bits.
func permBits(m fs.FileMode) uint16 {
	v := uint16(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

// walk calls f for n and everything below it, parents first, children in
// name order.
func (n *node) walk(f func(*node) error) error {
	if err := f(n); err != nil {
		return err
	}
	for _, c := range n.children {
		if err := c.walk(f); err != nil {
			return err
		}
	}
	return nil
}
