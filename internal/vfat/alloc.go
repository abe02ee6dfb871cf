package vfat

import "fmt"

// errRootFull marks a FAT12/16 root directory overflow, which FAT32 (with
// its growable root) cures.
var errRootFull = fmt.Errorf("root directory full: %w", ErrTooSmall)

// maxDirEntries is the FAT limit on entries per directory (entry offsets
// are 16-bit).
const maxDirEntries = 65536

// plan is where every directory and file goes. Clusters are handed out
// from cluster 2 upwards without gaps, directory before its contents, so
// every chain is contiguous and the used data area is one run that can be
// written sequentially.
type plan struct {
	items []*node // in cluster order: directories and non-empty files
	used  uint32  // clusters used
}

// entryCount returns the directory entries d needs.
func entryCount(d *node, isRoot, hasLabel bool) int {
	n := 0
	if !isRoot {
		n += 2 // "." and ".."
	} else if hasLabel {
		n++
	}
	for _, c := range d.children {
		n++
		if c.lfn {
			n += lfnEntryCount(c.name)
		}
	}
	return n
}

// allocate assigns clusters to the tree for layout l.
func allocate(root *node, l *layout, hasLabel bool) (plan, error) {
	var p plan
	cs := uint64(l.clusterSize())
	next := uint64(2)
	var needed uint64 // clusters, counted on even when they do not fit
	take := func(n *node, clusters uint64) {
		needed += clusters
		if needed > uint64(l.clusters) || clusters == 0 {
			return
		}
		n.first, n.nclus = uint32(next), uint32(clusters)
		next += clusters
		p.items = append(p.items, n)
	}
	var walk func(d *node, isRoot bool) error
	walk = func(d *node, isRoot bool) error {
		for _, c := range d.children {
			c.parent = d
			c.first, c.nclus = 0, 0
			if !c.dir {
				take(c, (uint64(c.size)+cs-1)/cs)
				continue
			}
			if err := sizeDir(c, false, false); err != nil {
				return err
			}
			take(c, max(1, (uint64(c.dirBytes)+cs-1)/cs))
			if err := walk(c, false); err != nil {
				return err
			}
		}
		return nil
	}

	root.first, root.nclus, root.parent = 0, 0, nil
	if err := sizeDir(root, true, hasLabel); err != nil {
		return p, err
	}
	if l.fatType == 32 {
		take(root, max(1, (uint64(root.dirBytes)+cs-1)/cs))
	} else if n := root.dirBytes / dirEntrySize; n > int64(l.rootEntries) {
		return p, fmt.Errorf("vfat: root directory needs %d entries, FAT%d holds %d; use FAT32 or fewer top-level names: %w",
			n, l.fatType, l.rootEntries, errRootFull)
	}
	if err := walk(root, true); err != nil {
		return p, err
	}
	if needed > uint64(l.clusters) {
		return p, fmt.Errorf("vfat: source needs %d clusters of %d bytes, the filesystem has %d: %w",
			needed, cs, l.clusters, ErrTooSmall)
	}
	p.used = uint32(next - 2)
	return p, nil
}

// sizeDir records the bytes of entries directory d needs.
func sizeDir(d *node, isRoot, hasLabel bool) error {
	n := entryCount(d, isRoot, hasLabel)
	if n > maxDirEntries {
		return fmt.Errorf("vfat: %s: %d directory entries, FAT allows %d", d.path, n, maxDirEntries)
	}
	d.dirBytes = int64(n) * dirEntrySize
	return nil
}
