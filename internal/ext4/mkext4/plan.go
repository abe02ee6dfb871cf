package mkext4

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/plinth-os/plinth/internal/ext4"
)

// image is a fully laid out filesystem: everything Format writes, decided
// before the first write so that rejections write nothing.
type image struct {
	g       *geometry
	uuid    [16]byte
	seed    uint32 // metadata checksum seed
	time    time.Time
	label   string
	alloc   allocator
	gds     []groupDesc
	root    *node
	journal *node
	nodes   []*node // every inode-owning node except the journal, by inode number
	maxIno  uint64  // highest inode number in use
	sb      ext4.Superblock
	// blockBitmaps are the block bitmaps of the groups not flagged
	// BLOCK_UNINIT, by group, as summarize built them.
	blockBitmaps map[uint64][]byte
}

// plan validates opts, reads Source's metadata and lays out everything.
func plan(size int64, opts *Options) (*image, error) {
	bs, err := opts.blockSize()
	if err != nil {
		return nil, err
	}
	if err := checkLabel(opts.Label); err != nil {
		return nil, err
	}
	t, err := opts.modTime()
	if err != nil {
		return nil, err
	}
	g, err := newGeometry(size, bs)
	if err != nil {
		return nil, err
	}
	im := &image{g: g, time: t, label: opts.Label}
	im.root = &node{path: ".", mode: modeDir | 0o755, uid: opts.RootUID, gid: opts.RootGID, ino: rootIno}
	im.root.parent = im.root
	if opts.Source != nil {
		if err := scanSource(opts.Source, im.root, opts.Owner, g.bs); err != nil {
			return nil, err
		}
	}
	if im.uuid, err = opts.uuid(); err != nil {
		return nil, err
	}
	im.seed = ext4.ChecksumSeed(im.uuid)
	im.alloc.total = g.blocks
	steps := []func() error{im.placeGroupMetadata, im.assignInodes, im.placeJournal, im.placeNodes, im.summarize}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return im, nil
}

// placeGroupMetadata reserves the superblock copies and group descriptor
// tables, then packs each flex group's block bitmaps, inode bitmaps and
// inode tables at the start of its first group, as mke2fs does.
func (im *image) placeGroupMetadata() error {
	g := im.g
	if err := im.alloc.mark(0, g.firstData); err != nil { // 1 KiB blocks: the boot block
		return err
	}
	for n := uint64(0); n < g.groups; n++ {
		if err := im.alloc.mark(g.groupStart(n), g.superBlocks(n)); err != nil {
			return err
		}
	}
	im.gds = make([]groupDesc, g.groups)
	flex := uint64(1) << logGroupsPerFlex
	for first := uint64(0); first < g.groups; first += flex {
		last := min(first+flex, g.groups)
		pos := g.groupStart(first)
		var err error
		for n := first; n < last && err == nil; n++ {
			im.gds[n].blockBitmap, err = im.alloc.contiguous(pos, 1)
			pos = im.gds[n].blockBitmap + 1
		}
		for n := first; n < last && err == nil; n++ {
			im.gds[n].inodeBitmap, err = im.alloc.contiguous(pos, 1)
			pos = im.gds[n].inodeBitmap + 1
		}
		for n := first; n < last && err == nil; n++ {
			im.gds[n].inodeTable, err = im.alloc.contiguous(pos, g.itb)
			pos = im.gds[n].inodeTable + g.itb
		}
		if err != nil {
			return fmt.Errorf("ext4: placing metadata of groups %d-%d: %w", first, last-1, err)
		}
	}
	return nil
}

// assignInodes numbers the tree: root 2, lost+found 11, the journal 8,
// then Source's entries from 12 in walk order.
func (im *image) assignInodes() error {
	lf := &node{name: "lost+found", path: "lost+found", mode: modeDir | 0o700, ino: lostFoundIno, parent: im.root}
	im.root.children = append([]*node{lf}, im.root.children...)
	im.journal = &node{mode: modeRegular | 0o600, ino: journalIno, size: im.g.journalBlocks * im.g.bs}
	next := uint64(firstIno + 1)
	err := im.root.walk(func(n *node) error {
		if n.ino == 0 {
			n.ino = uint32(min(next, 1<<32-1))
			next++
		}
		im.nodes = append(im.nodes, n)
		return nil
	})
	if err != nil {
		return err
	}
	im.maxIno = next - 1
	if im.maxIno > im.g.inodes() {
		return fmt.Errorf("ext4: source needs %d inodes, the filesystem has %d: %w", im.maxIno, im.g.inodes(), ErrTooSmall)
	}
	return nil
}

// placeJournal allocates the journal from the first free block.
func (im *image) placeJournal() error {
	im.journal.nblock = im.g.journalBlocks
	return im.placeNode(im.journal)
}

// placeNodes allocates directory, file and symlink blocks in inode order,
// so that the data area is written front to back.
func (im *image) placeNodes() error {
	for _, n := range im.nodes {
		switch {
		case n.ino == lostFoundIno:
			n.nblock = lostFoundBytes / im.g.bs
			n.size = n.nblock * im.g.bs
		case n.isDir():
			n.nblock = uint64(len(packDir(dirEntries(n), int(im.g.bs))))
			n.size = n.nblock * im.g.bs
		case n.isSymlink():
			if n.size >= 60 { // a fast symlink lives in i_block
				n.nblock = 1
			}
		default:
			n.nblock = ceilDiv(n.size, im.g.bs)
		}
		if err := im.placeNode(n); err != nil {
			return err
		}
	}
	return nil
}

// placeNode allocates n's data blocks and extent tree blocks.
func (im *image) placeNode(n *node) error {
	if n.isSymlink() && n.nblock == 0 {
		copy(n.tree.root[:], n.target)
		return nil
	}
	var err error
	if n.data, err = im.alloc.runs(0, n.nblock); err != nil {
		return fmt.Errorf("ext4: %s: %w", n.describe(), err)
	}
	exts := toExtents(n.data)
	n.nTree = treeBlocksNeeded(len(exts), im.g.bs)
	treeRuns, err := im.alloc.runs(0, n.nTree)
	if err != nil {
		return fmt.Errorf("ext4: %s: extent tree: %w", n.describe(), err)
	}
	var blocks []uint64
	for _, r := range treeRuns {
		for b := r.start; b < r.end(); b++ {
			blocks = append(blocks, b)
		}
	}
	n.tree, err = buildExtentTree(exts, blocks, im.g.bs, inodeSeed(im.seed, n.ino, 0))
	return err
}

func (n *node) describe() string {
	if n.ino == journalIno {
		return "journal"
	}
	return fmt.Sprintf("%q", n.path)
}

// dirEntries returns the entries of directory d. Its children's inode
// numbers must be set.
func dirEntries(d *node) []dirent {
	ents := []dirent{{d.ino, ftDir, "."}, {d.parent.ino, ftDir, ".."}}
	for _, c := range d.children {
		ents = append(ents, dirent{c.ino, c.fileType(), c.name})
	}
	return ents
}

// hashSeed derives s_hash_seed from the UUID so that no randomness beyond
// the UUID enters the image.
func hashSeed(uuid [16]byte) [16]byte {
	h := sha256.Sum256(append([]byte("plinth ext4 htree hash seed\x00"), uuid[:]...))
	var s [16]byte
	copy(s[:], h[:])
	return s
}
