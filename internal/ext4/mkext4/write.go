package mkext4

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/plinth-os/plinth/internal/ext4"
)

// copyChunk is how much file data is read and written at a time.
const copyChunk = 1 << 20

// out writes blocks of the filesystem at byte offset off of w.
type out struct {
	w   io.WriterAt
	off int64
	bs  uint64
}

func (o *out) writeAt(p []byte, byteOff uint64, what string) error {
	if _, err := o.w.WriteAt(p, o.off+int64(byteOff)); err != nil {
		return fmt.Errorf("ext4: write %s at byte %d: %w", what, byteOff, err)
	}
	return nil
}

func (o *out) writeBlocks(blk uint64, p []byte, what string) error {
	return o.writeAt(p, blk*o.bs, what)
}

// write writes the image: the journal, the data area, inode tables,
// bitmaps, group descriptor tables, and the primary superblock last.
func (im *image) write(w io.WriterAt, off int64, src fs.FS) error {
	o := &out{w: w, off: off, bs: im.g.bs}
	steps := []func(*out, fs.FS) error{im.writeJournal, im.writeNodes, im.writeInodeTables, im.writeBitmaps, im.writeSuperblocks}
	for _, step := range steps {
		if err := step(o, src); err != nil {
			return err
		}
	}
	return nil
}

// writeJournal zeroes the journal (so no stale transaction from an earlier
// filesystem can ever be replayed) and writes its superblock.
func (im *image) writeJournal(o *out, _ fs.FS) error {
	for _, r := range im.journal.data {
		if err := zeroRange(o.w, o.off+int64(r.start*o.bs), int64(r.len*o.bs)); err != nil {
			return fmt.Errorf("ext4: zero journal blocks %d+%d: %w", r.start, r.len, err)
		}
	}
	jsb := journalSuperblock(o.bs, im.g.journalBlocks, im.uuid)
	if err := o.writeBlocks(im.journal.data[0].start, jsb, "journal superblock"); err != nil {
		return err
	}
	return writeTree(o, im.journal)
}

// writeNodes writes directory blocks, file contents, slow symlink targets
// and extent tree blocks.
func (im *image) writeNodes(o *out, src fs.FS) error {
	bs := int(o.bs)
	for _, n := range im.nodes {
		var err error
		switch {
		case n.isDir():
			err = o.writeRuns(n.data, encodeDir(dirEntries(n), bs, int(n.nblock), inodeSeed(im.seed, n.ino, 0)), n.path)
		case n.isSymlink():
			if n.nblock > 0 {
				b := make([]byte, bs)
				copy(b, n.target)
				err = o.writeRuns(n.data, b, n.path)
			}
		default:
			err = o.copyFile(src, n)
		}
		if err == nil {
			err = writeTree(o, n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeRuns writes p (a whole number of blocks) to the runs in order.
func (o *out) writeRuns(runs []run, p []byte, what string) error {
	for _, r := range runs {
		n := r.len * o.bs
		if err := o.writeBlocks(r.start, p[:n], what); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

func writeTree(o *out, n *node) error {
	for _, tb := range n.tree.blocks {
		if err := o.writeBlocks(tb.blk, tb.data, "extent tree of "+n.describe()); err != nil {
			return err
		}
	}
	return nil
}

// copyFile streams regular file n from src into its blocks, zero-padding
// the last block. A file whose size changed since it was scanned is an
// error: the layout was made for the old size.
func (o *out) copyFile(src fs.FS, n *node) error {
	if n.size == 0 {
		return nil
	}
	f, err := src.Open(n.path)
	if err != nil {
		return fmt.Errorf("ext4: open source %q: %w", n.path, err)
	}
	defer f.Close()
	buf := make([]byte, min(copyChunk, roundUp(n.size, o.bs)))
	left := n.size
	for _, r := range n.data {
		for blk, end := r.start, r.end(); blk < end; {
			nb := min(end-blk, uint64(len(buf))/o.bs)
			chunk := buf[:nb*o.bs]
			want := min(left, uint64(len(chunk)))
			if _, err := io.ReadFull(f, chunk[:want]); err != nil {
				return fmt.Errorf("ext4: read source %q (changed while formatting?): %w", n.path, err)
			}
			clear(chunk[want:])
			if err := o.writeBlocks(blk, chunk, n.path); err != nil {
				return err
			}
			left -= want
			blk += nb
		}
	}
	var one [1]byte
	if k, err := f.Read(one[:]); k > 0 || (err != nil && !errors.Is(err, io.EOF)) {
		return fmt.Errorf("ext4: source %q grew while formatting (read error: %v)", n.path, err)
	}
	return nil
}

// writeInodeTables writes the in-use part of each group's inode table
// (whole blocks); the rest is left for the kernel's lazy init, which
// zeroes from bg_itable_unused on.
func (im *image) writeInodeTables(o *out, _ fs.FS) error {
	g := im.g
	byIno := make(map[uint32]*node, len(im.nodes)+1)
	for _, n := range im.nodes {
		byIno[n.ino] = n
	}
	byIno[journalIno] = im.journal
	ipb := g.bs / inodeSize
	for grp := range g.groups {
		used := im.usedInodes(grp)
		if used == 0 {
			break // inodes are used without gaps
		}
		nblk := ceilDiv(used, ipb)
		buf := make([]byte, nblk*g.bs)
		for i := range used {
			ino := uint32(grp*g.ipg + i + 1)
			in := im.inodeFor(ino, byIno[ino])
			in.marshal(buf[i*inodeSize:], ino, im.seed)
		}
		if err := o.writeBlocks(im.gds[grp].inodeTable, buf, fmt.Sprintf("inode table of group %d", grp)); err != nil {
			return err
		}
	}
	return nil
}

// inodeFor returns the inode to store as number ino; n is nil for the
// reserved inodes without content.
func (im *image) inodeFor(ino uint32, n *node) *inode {
	in := &inode{time: im.time}
	if n == nil {
		in.timeIsSet = ino == 1 // mke2fs stamps the bad blocks inode
		return in
	}
	in.timeIsSet = true
	in.mode, in.uid, in.gid, in.size = n.mode, n.uid, n.gid, n.size
	in.links = 1
	in.block = n.tree.root
	if n.isDir() {
		in.links = dirLinks(n)
	}
	if !n.isSymlink() || n.nblock > 0 {
		in.flags = flagExtents
		in.sectors = (n.nblock + n.nTree) * (im.g.bs / 512)
	}
	return in
}

// dirLinks is 2 plus the subdirectories, or 1 once that exceeds the limit
// (dir_nlink).
func dirLinks(d *node) uint16 {
	links := 2
	for _, c := range d.children {
		if c.isDir() {
			links++
		}
	}
	if links > maxLinks {
		return 1
	}
	return uint16(links)
}

// writeBitmaps writes the block bitmaps of initialized groups and the
// inode bitmaps of groups with inodes in use.
func (im *image) writeBitmaps(o *out, _ fs.FS) error {
	for n := range im.g.groups {
		d := &im.gds[n]
		if bm := im.blockBitmaps[n]; bm != nil {
			if err := o.writeBlocks(d.blockBitmap, bm, fmt.Sprintf("block bitmap of group %d", n)); err != nil {
				return err
			}
		}
		if d.flags&bgInodeUninit == 0 {
			if err := o.writeBlocks(d.inodeBitmap, im.inodeBitmap(n), fmt.Sprintf("inode bitmap of group %d", n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeSuperblocks writes every superblock backup with its group
// descriptor table, then the primary copy. One buffer holds the
// superblock block and the table after it; only the superblock changes
// from copy to copy.
func (im *image) writeSuperblocks(o *out, _ fs.FS) error {
	g := im.g
	blk := make([]byte, g.bs+g.gdtBlocks*g.bs)
	for n := range g.groups {
		im.gds[n].marshal(blk[g.bs+n*descSize:], uint32(n), im.seed)
	}
	if g.firstData == 1 { // 1 KiB blocks: the boot block precedes the superblock
		if err := o.writeAt(make([]byte, ext4.SuperblockOffset), 0, "boot block"); err != nil {
			return err
		}
	}
	for n := g.groups - 1; ; n-- {
		if hasSuper(n) {
			sb := im.sb
			sb.BlockGroupNr = uint16(n)
			sbOff := uint64(0)
			if n == 0 && g.bs > ext4.SuperblockOffset {
				sbOff = ext4.SuperblockOffset // block 0 starts with the boot area
			}
			clear(blk[:g.bs])
			copy(blk[sbOff:g.bs], sb.Marshal())
			if err := o.writeBlocks(g.groupStart(n), blk, fmt.Sprintf("superblock and descriptors of group %d", n)); err != nil {
				return err
			}
		}
		if n == 0 {
			return nil
		}
	}
}
