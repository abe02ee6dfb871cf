package gpt_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/gpt/gpttest"
)

func TestWriteRead(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		size := int64(16 << 20)
		tb := gpttest.Sample(t, size, ss)
		disk := blockdev.NewMem(size, ss)
		copy(disk.Bytes(), strings.Repeat("boot", 110)) // boot code must survive
		if err := tb.Write(disk); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(disk.Bytes(), []byte(strings.Repeat("boot", 110))) {
			t.Errorf("%d: MBR boot code overwritten", ss)
		}
		got, err := gpt.Read(disk, size, ss)
		if err != nil {
			t.Fatalf("%d: Read: %v", ss, err)
		}
		if !reflect.DeepEqual(got, tb) {
			t.Errorf("%d: read back\n%+v\nwant\n%+v", ss, got, tb)
		}
		if err := gpt.Verify(disk, size, ss); err != nil {
			t.Errorf("%d: Verify: %v", ss, err)
		}
		// Same input, same bytes: images are reproducible.
		again := blockdev.NewMem(size, ss)
		copy(again.Bytes(), disk.Bytes()[:440])
		if err := gpttest.Sample(t, size, ss).Write(again); err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(again.Bytes()) != sha256.Sum256(disk.Bytes()) {
			t.Errorf("%d: two writes of the same table differ", ss)
		}
	}
}

func TestReadFallsBackToBackup(t *testing.T) {
	const size, ss = 16 << 20, 512
	tests := []struct {
		name    string
		corrupt func(d []byte)
	}{
		{"primary header CRC", func(d []byte) { d[ss+60] ^= 0xFF }}, // in the disk GUID
		{"primary signature", func(d []byte) { copy(d[ss:], "NOT PART") }},
		{"primary array", func(d []byte) { d[2*ss+56] ^= 0xFF }}, // partition 1's name
		{"primary zeroed", func(d []byte) { clear(d[ss : 34*ss]) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := gpttest.Sample(t, size, ss)
			disk := blockdev.NewMem(size, ss)
			if err := tb.Write(disk); err != nil {
				t.Fatal(err)
			}
			tc.corrupt(disk.Bytes())
			got, err := gpt.Read(disk, size, ss)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !got.FromBackup {
				t.Errorf("FromBackup not set")
			}
			got.FromBackup = false
			if !reflect.DeepEqual(got, tb) {
				t.Errorf("backup gave\n%+v\nwant\n%+v", got, tb)
			}
			if err := gpt.Verify(disk, size, ss); err == nil || !strings.Contains(err.Error(), "primary GPT damaged") {
				t.Errorf("Verify: %v", err)
			}
			// Writing the recovered table repairs the primary.
			if err := got.Write(disk); err != nil {
				t.Fatal(err)
			}
			if err := gpt.Verify(disk, size, ss); err != nil {
				t.Errorf("Verify after repair: %v", err)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	const size, ss = 16 << 20, 512
	disk := blockdev.NewMem(size, ss)
	if _, err := gpt.Read(disk, size, ss); !errors.Is(err, gpt.ErrNotFound) {
		t.Errorf("blank disk: %v", err)
	}
	if err := gpttest.Sample(t, size, ss).Write(disk); err != nil {
		t.Fatal(err)
	}
	if _, err := gpt.Read(disk, size, 4096); !errors.Is(err, gpt.ErrNotFound) {
		t.Errorf("wrong sector size: %v", err)
	}
	backup := blockdev.NewMem(size, ss)
	copy(backup.Bytes(), disk.Bytes())
	backup.Bytes()[size-ss+60] ^= 1 // backup header's disk GUID
	if _, err := gpt.Read(backup, size, ss); err != nil {
		t.Errorf("damaged backup only: %v", err)
	}
	if err := gpt.Verify(backup, size, ss); err == nil || !strings.Contains(err.Error(), "backup GPT") {
		t.Errorf("Verify with damaged backup: %v", err)
	}
	noMBR := blockdev.NewMem(size, ss)
	copy(noMBR.Bytes(), disk.Bytes())
	clear(noMBR.Bytes()[:ss])
	if err := gpt.Verify(noMBR, size, ss); err == nil || !strings.Contains(err.Error(), "protective MBR") {
		t.Errorf("Verify without MBR: %v", err)
	}
	if err := gpt.Zap(disk, size, ss); err != nil {
		t.Fatal(err)
	}
	if _, err := gpt.Read(disk, size, ss); !errors.Is(err, gpt.ErrNotFound) {
		t.Errorf("after Zap: %v", err)
	}
	if !bytes.Equal(disk.Bytes(), make([]byte, size)) {
		t.Errorf("Zap left GPT bytes behind")
	}
	short := blockdev.NewMem(size-1, ss)
	copy(short.Bytes(), disk.Bytes())
	if _, err := gpt.Read(short, size, ss); err == nil {
		t.Errorf("short read: no error")
	}
}

func TestWriteRejectsInvalid(t *testing.T) {
	const size, ss = 16 << 20, 512
	tb := gpttest.Sample(t, size, ss)
	tb.Partitions[1].FirstLBA = tb.Partitions[0].LastLBA // overlap made behind Add's back
	disk := blockdev.NewMem(size, ss)
	if err := tb.Write(disk); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("Write: %v", err)
	}
	if !bytes.Equal(disk.Bytes(), make([]byte, size)) {
		t.Errorf("rejected Write wrote something")
	}
}
