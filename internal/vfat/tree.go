package vfat

import (
	"fmt"
	"io/fs"
	"math"
	"path"
	"strings"
)

// maxDepth bounds directory nesting, so that a symbolic link loop in
// Source ends in an error rather than an endless walk.
const maxDepth = 64

// node is a file or directory to be written.
type node struct {
	name     string // as in Source; the long name
	path     string // path in Source
	dir      bool
	size     int64 // regular files
	children []*node
	short    [shortNameLen]byte
	lfn      bool // needs long-name entries

	// Set by allocate.
	first    uint32 // first cluster, 0 for empty files and the FAT12/16 root
	nclus    uint32
	parent   *node
	dirBytes int64 // directories: bytes of entries
}

// scanTree reads the tree to copy from src; a nil src gives an empty root.
func scanTree(src fs.FS) (*node, error) {
	root := &node{name: "", path: ".", dir: true}
	if src == nil {
		return root, nil
	}
	if err := scanDir(src, root, 0); err != nil {
		return nil, err
	}
	return root, nil
}

func scanDir(src fs.FS, d *node, depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("vfat: %s: directories nested deeper than %d (a symbolic link loop?)", d.path, maxDepth)
	}
	ents, err := fs.ReadDir(src, d.path)
	if err != nil {
		return fmt.Errorf("vfat: reading source directory: %w", err)
	}
	names := make([]string, 0, len(ents))
	folded := make(map[string]string, len(ents))
	for _, e := range ents {
		name := e.Name()
		p := path.Join(d.path, name)
		if err := checkName(name); err != nil {
			return fmt.Errorf("vfat: %s: %w", p, err)
		}
		// FAT compares names without regard to case.
		key := strings.ToUpper(name)
		if prev, dup := folded[key]; dup {
			return fmt.Errorf("vfat: %s: names %q and %q differ only in case, which FAT cannot hold", d.path, prev, name)
		}
		folded[key] = name
		info, err := stat(src, p, e)
		if err != nil {
			return err
		}
		n := &node{name: name, path: p}
		switch {
		case info.IsDir():
			n.dir = true
			if err := scanDir(src, n, depth+1); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if info.Size() > math.MaxUint32 {
				return fmt.Errorf("vfat: %s: %d bytes, FAT files hold at most 4 GiB - 1", p, info.Size())
			}
			n.size = info.Size()
		default:
			return fmt.Errorf("vfat: %s: %v is neither a directory nor a regular file", p, info.Mode().Type())
		}
		d.children = append(d.children, n)
		names = append(names, name)
	}
	shorts, lfn, err := assignShortNames(names)
	if err != nil {
		return fmt.Errorf("vfat: %s: %w", d.path, err)
	}
	for i, c := range d.children {
		c.short, c.lfn = shorts[i], lfn[i]
	}
	return nil
}

// stat returns what e refers to, following symbolic links.
func stat(src fs.FS, p string, e fs.DirEntry) (fs.FileInfo, error) {
	var info fs.FileInfo
	var err error
	if e.Type()&fs.ModeSymlink != 0 {
		info, err = fs.Stat(src, p)
	} else {
		info, err = e.Info()
	}
	if err != nil {
		return nil, fmt.Errorf("vfat: reading source: %w", err)
	}
	return info, nil
}
