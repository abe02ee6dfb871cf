package iso

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// blockWriter writes an image front to back. put checks that each extent
// starts where the layout placed it and at or after the end of the
// previous one, and fills the gap with zeros.
type blockWriter struct {
	w   io.Writer
	pos int64 // bytes written so far, counted from the start of the file
}

func (bw *blockWriter) put(lba uint32, b []byte) error {
	if err := bw.padTo(int64(lba) * blockSize); err != nil {
		return err
	}
	n, err := bw.w.Write(b)
	bw.pos += int64(n)
	return err
}

// zeros is a block of zeros for padding.
var zeros [blockSize]byte

func (bw *blockWriter) padTo(off int64) error {
	if off < bw.pos {
		return fmt.Errorf("layout error: extent at byte %d overlaps data up to %d", off, bw.pos)
	}
	for bw.pos < off {
		n, err := bw.w.Write(zeros[:min(int64(len(zeros)), off-bw.pos)])
		bw.pos += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

// writeISO9660 writes the ISO 9660 data, blocks 16 to isoEnd, in order:
// everything but the system area and the backup GPT.
func (img *image) writeISO9660(w io.Writer) error {
	bw := &blockWriter{w: w, pos: firstVDBlock * blockSize}
	for i, vd := range img.volumeDescriptors() {
		if err := bw.put(firstVDBlock+uint32(i), vd); err != nil {
			return err
		}
	}
	for _, d := range img.dirs {
		recs, ce := img.primaryRecords(d)
		if err := bw.put(d.extent, packRecords(recs)); err != nil {
			return err
		}
		if err := bw.put(d.ce, ce); err != nil {
			return err
		}
	}
	if err := img.writePathTables(bw, false); err != nil {
		return err
	}
	for _, d := range img.jdirs {
		if err := bw.put(d.jextent, packRecords(img.jolietRecords(d))); err != nil {
			return err
		}
	}
	if img.opts.Joliet {
		if err := img.writePathTables(bw, true); err != nil {
			return err
		}
	}
	for _, f := range img.dataList {
		if err := bw.put(f.extent, f.data); err != nil {
			return err
		}
	}
	return bw.padTo(int64(img.isoEnd) * blockSize)
}

func (img *image) writePathTables(bw *blockWriter, joliet bool) error {
	l, m := img.pathL, img.pathM
	if joliet {
		l, m = img.jpathL, img.jpathM
	}
	if err := bw.put(l, img.pathTable(joliet, binary.LittleEndian)); err != nil {
		return err
	}
	return bw.put(m, img.pathTable(joliet, binary.BigEndian))
}

// digest is the SHA-256 of the ISO 9660 data, from which the GPT's GUIDs
// are derived.
func (img *image) digest() ([]byte, error) {
	h := sha256.New()
	if err := img.writeISO9660(h); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// writeTo writes the whole file front to back: the system area with the
// protective MBR and primary GPT, the ISO 9660 data, and the tail with the
// backup GPT.
func (img *image) writeTo(w io.Writer) error {
	seed, err := img.digest()
	if err != nil {
		return err
	}
	sys, err := img.hybrid(seed)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(sys.head); err != nil {
		return err
	}
	if err := img.writeISO9660(bw); err != nil {
		return err
	}
	if _, err := bw.Write(sys.tail); err != nil {
		return err
	}
	return bw.Flush()
}
