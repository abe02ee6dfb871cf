package iso

import (
	"maps"
	"path"
	"slices"
	"strings"
)

// node is one file or directory of the image. The primary tree (ECMA-119
// with Rock Ridge) and the Joliet tree hold the same nodes, each tree in
// its own order.
type node struct {
	name      string // real name: Rock Ridge NM, Joliet
	isoID     []byte // ECMA-119 file identifier (isoName)
	jolietID  []byte // Joliet file identifier (jolietName)
	dir       bool
	mode      uint32 // Rock Ridge PX mode: file type and permissions
	data      []byte // file content
	parent    *node  // the root is its own parent, as in its ".." record
	children  []*node
	jchildren []*node // children in Joliet order
	byName    map[string]*node

	// Set by the layout.
	extent  uint32 // file data, or the primary directory's records
	size    uint32 // data length; directories: whole blocks of records
	jextent uint32 // the Joliet directory's records
	jsize   uint32
	ce      uint32 // first block of the primary directory's Continuation Areas
	num     uint16 // primary path table directory number
	jnum    uint16 // Joliet path table directory number
}

func newDir(name string, parent *node) *node {
	d := &node{name: name, dir: true, mode: modeDir | 0o755, parent: parent, byName: map[string]*node{}}
	if parent == nil {
		d.parent = d
	}
	return d
}

func newFile(name string, data []byte, perm uint32) *node {
	return &node{name: name, mode: modeFile | perm, data: data, size: uint32(len(data))}
}

// add makes c a child of d.
func (d *node) add(c *node) {
	c.parent = d
	d.children = append(d.children, c)
	d.byName[c.name] = c
}

// mkdirAll returns the directory at the clean absolute path p, creating
// it and its parents.
func (d *node) mkdirAll(p string) *node {
	if p == "/" {
		return d
	}
	for _, name := range strings.Split(p[1:], "/") {
		c := d.byName[name]
		if c == nil {
			c = newDir(name, d)
			d.add(c)
		}
		d = c
	}
	return d
}

// links is the Rock Ridge PX link count: 1 for a file, 2 plus the number
// of subdirectories for a directory (its name, its ".", and each
// subdirectory's "..").
func (d *node) links() uint32 {
	if !d.dir {
		return 1
	}
	n := uint32(2)
	for _, c := range d.children {
		if c.dir {
			n++
		}
	}
	return n
}

// buildTree returns the image's tree, the root holding the boot catalog,
// the EFI boot image and the extra files, with identifiers assigned and
// every directory's children in ECMA-119 9.3 order for each tree; and the
// extra files in path order.
func buildTree(opts *Options, catalog, efi *node) (root *node, files []*node) {
	root = newDir("", nil)
	root.add(catalog)
	root.add(efi)
	for _, p := range slices.Sorted(maps.Keys(opts.Files)) {
		f := newFile(path.Base(p), opts.Files[p], 0o644)
		root.mkdirAll(path.Dir(p)).add(f)
		files = append(files, f)
	}
	root.assignIdentifiers()
	return root, files
}

// assignIdentifiers gives every node below d its ECMA-119 and Joliet
// identifiers and sorts the children of every directory. Names are made
// unique in the order children were added, so the boot catalog and the
// EFI image keep their plain names.
func (d *node) assignIdentifiers() {
	used := map[string]bool{}
	for _, c := range d.children {
		id := isoName(c.name, c.dir, 0)
		for seq := 1; used[id]; seq++ {
			id = isoName(c.name, c.dir, seq)
		}
		used[id] = true
		c.isoID, c.jolietID = []byte(id), jolietName(c.name)
		if c.dir {
			c.assignIdentifiers()
		}
	}
	slices.SortStableFunc(d.children, func(a, b *node) int {
		return compareBy(identifierLess, byteUnits(a.isoID), byteUnits(b.isoID))
	})
	d.jchildren = slices.Clone(d.children)
	slices.SortStableFunc(d.jchildren, func(a, b *node) int {
		return compareBy(identifierLess, ucs2Units(a.jolietID), ucs2Units(b.jolietID))
	})
}

func compareBy[T any](less func(a, b T) bool, a, b T) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}

// directories lists the directories of the tree rooted at root in path
// table order (6.9.1: by level, then parent number, then identifier):
// breadth first over children in the order of the tree (Joliet or not).
func directories(root *node, joliet bool) []*node {
	dirs := []*node{root}
	for i := 0; i < len(dirs); i++ {
		kids := dirs[i].children
		if joliet {
			kids = dirs[i].jchildren
		}
		for _, c := range kids {
			if c.dir {
				dirs = append(dirs, c)
			}
		}
	}
	return dirs
}
