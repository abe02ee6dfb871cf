package iso

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Run each fuzzer for ~30 s with a short minimization budget; the default
// (60 s per new input) spends nearly all of a short run minimizing:
//
//	go test ./iso -run '^$' -fuzz '^FuzzNormalize$' -fuzztime 30s -fuzzminimizetime 2s
//
// likewise FuzzReadGPT and FuzzReadElTorito.

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// memRW is a fixed-size in-memory image for normalize.
type memRW struct{ b []byte }

func (m *memRW) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(m.b).ReadAt(p, off)
}

func (m *memRW) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(m.b)) || int64(len(p)) > int64(len(m.b))-off {
		return 0, errors.New("write out of range")
	}
	return copy(m.b[off:], p), nil
}

// seedISO returns a small real image from Write (a 1 KiB fake FAT image is
// enough for Write; the fuzzers never run firmware).
func seedISO(f testing.TB, joliet bool) []byte {
	f.Helper()
	fat := make([]byte, 1024)
	fat[510], fat[511] = 0x55, 0xAA
	p := filepath.Join(f.TempDir(), "seed.iso")
	_, err := Write(p, Options{VolumeID: "SEED", EFIBootImage: fat, Joliet: joliet, Files: map[string][]byte{
		"/a/b.txt": []byte("b"), "/" + string(bytes.Repeat([]byte("n"), 60)): nil,
	}})
	if err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// compactGPT is a valid 8-sector disk with a 4-entry GPT: small inputs
// keep the fuzzer (and its minimizer) fast.
func compactGPT() []byte {
	const n = 8
	d := make([]byte, n*sectorSize)
	putProtectiveMBR(d[:sectorSize], n)
	e := d[2*sectorSize:]
	t, u := espType.disk(), derivedGUID(nil, "p").disk()
	copy(e, t[:])
	copy(e[16:], u[:])
	binary.LittleEndian.PutUint64(e[32:], 4)
	binary.LittleEndian.PutUint64(e[40:], 5)
	copy(e[56:], []byte{'E', 0, 'S', 0, 'P', 0})
	copy(d[6*sectorSize:], d[2*sectorSize:3*sectorSize])
	arrayCRC := crc32.ChecksumIEEE(d[2*sectorSize : 3*sectorSize])
	hdr := func(my, alt, array uint64) {
		h := d[my*sectorSize:][:sectorSize]
		copy(h, gptSignature)
		binary.LittleEndian.PutUint32(h[8:], 0x00010000)
		binary.LittleEndian.PutUint32(h[12:], gptHeaderSize)
		binary.LittleEndian.PutUint64(h[24:], my)
		binary.LittleEndian.PutUint64(h[32:], alt)
		binary.LittleEndian.PutUint64(h[40:], 4)
		binary.LittleEndian.PutUint64(h[48:], 5)
		binary.LittleEndian.PutUint64(h[72:], array)
		binary.LittleEndian.PutUint32(h[80:], 4)
		binary.LittleEndian.PutUint32(h[84:], gptEntrySize)
		binary.LittleEndian.PutUint32(h[88:], arrayCRC)
		fixHeaderCRC(h)
	}
	hdr(1, 7, 2)
	hdr(7, 1, 6)
	return d
}

func TestCompactGPTSeedIsValid(t *testing.T) {
	g, err := ReadGPT(bytes.NewReader(compactGPT()))
	if err != nil || len(g.Partitions) != 1 || g.Partitions[0].Name != "ESP" {
		t.Fatalf("ReadGPT(compactGPT()) = %+v, %v", g, err)
	}
}

func FuzzReadGPT(f *testing.F) {
	f.Add(compactGPT())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, img []byte) {
		g, err := ReadGPT(bytes.NewReader(img))
		if err == nil {
			for _, p := range g.Partitions {
				if p.FirstLBA > p.LastLBA || p.FirstLBA < g.FirstUsableLBA || p.LastLBA > g.LastUsableLBA {
					t.Errorf("ReadGPT returned partition %+v outside usable range", p)
				}
			}
		}
	})
}

// The ISO fuzzers take the image from sector 16 on as chunks of
// fuzzChunk bytes, each placed at the start of its 2048-byte sector: the
// metadata that matters sits at sector starts, and small inputs keep the
// fuzzer fast.
const fuzzChunk = 512

func expandChunks(in []byte) []byte {
	n := (len(in) + fuzzChunk - 1) / fuzzChunk
	img := make([]byte, (16+n)*isoBlock)
	for i := 0; i < n; i++ {
		copy(img[(16+i)*isoBlock:], in[i*fuzzChunk:min(len(in), (i+1)*fuzzChunk)])
	}
	return img
}

// chunkSeed is the inverse of expandChunks for a real image, up to the
// first file data block (the directories and catalog precede it).
func chunkSeed(iso []byte, blocks int) []byte {
	var in []byte
	for s := 16; s < 16+blocks && (s+1)*isoBlock <= len(iso); s++ {
		in = append(in, iso[s*isoBlock:s*isoBlock+fuzzChunk]...)
	}
	return in
}

func FuzzReadElTorito(f *testing.F) {
	for _, joliet := range []bool{false, true} {
		f.Add(chunkSeed(seedISO(f, joliet), 24))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ReadElTorito(bytes.NewReader(expandChunks(in)))
	})
}

func FuzzNormalize(f *testing.F) {
	for _, joliet := range []bool{false, true} {
		f.Add(chunkSeed(seedISO(f, joliet), 24))
	}
	mod := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in []byte) {
		img := &memRW{b: expandChunks(in)}
		if normalize(img, mod) != nil {
			return
		}
		// Normalizing is idempotent.
		once := append([]byte(nil), img.b...)
		if err := normalize(img, mod); err != nil {
			t.Fatalf("second normalize failed: %v", err)
		}
		if !bytes.Equal(once, img.b) {
			t.Fatal("normalize is not idempotent")
		}
	})
}

// The chunked seeds must still be images the parsers accept, or the
// fuzzers would start from nothing.
func TestFuzzSeedsAreValid(t *testing.T) {
	for _, joliet := range []bool{false, true} {
		in := chunkSeed(seedISO(t, joliet), 24)
		if _, err := ReadElTorito(bytes.NewReader(expandChunks(in))); err != nil {
			t.Errorf("joliet=%v: ReadElTorito(seed): %v", joliet, err)
		}
		if err := normalize(&memRW{b: expandChunks(in)}, time.Unix(0, 0)); err != nil {
			t.Errorf("joliet=%v: normalize(seed): %v", joliet, err)
		}
	}
}
