package efivar

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/foxboron/go-uefi/efi/device"
	"github.com/plinth-os/plinth/internal/guid"
)

// TestGoUEFIDecodesOurEncoding parses our encoder's output with go-uefi,
// an independent implementation. Only well-formed input is given to it:
// its parser calls log.Fatal on truncated data.
//
// go-uefi's HardDriveMediaDevicePath.Format prints the partition GUID in
// raw byte order (util.BytesToGUID reads big-endian), unlike efibootmgr
// and the UEFI text form, so we compare the signature bytes instead.
func TestGoUEFIDecodesOurEncoding(t *testing.T) {
	g1, _ := guid.Parse(testPartUUID)
	g2, _ := guid.Parse("0fc63daf-8483-4772-8e79-3d69d8477de4")
	tests := []struct {
		name   string
		label  string
		hd     HardDrive
		loader string
	}{
		{"vector", "Plinth", GPTHardDrive(1, 2048, 1048576, g1), `\EFI\BOOT\BOOTX64.EFI`},
		{"big disk", "Plinth appliance", GPTHardDrive(3, 0x1_0000_0000, 0x7fff_ffff, g2), `\EFI\plinth\plinth.efi`},
		{"unicode", "Plïnth – ✓", GPTHardDrive(128, 34, 1, g2), `\EFI\plïnth\x.efi`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &LoadOption{Attributes: LoadOptionActive, Description: tt.label,
				FilePaths: []DevicePath{{tt.hd, FilePath{tt.loader}}}, OptionalData: []byte("ignored by go-uefi")}
			b, err := EncodeLoadOption(o)
			if err != nil {
				t.Fatal(err)
			}
			buf := bytes.NewBuffer(b)
			lo, err := device.ParseEFILoadOption(buf)
			if err != nil {
				t.Fatal(err)
			}
			if uint32(lo.Attributes) != o.Attributes || lo.Description != tt.label {
				t.Errorf("go-uefi: attributes %#x description %q", lo.Attributes, lo.Description)
			}
			pathBytes, _ := EncodeDevicePath(o.Path())
			if int(lo.FilePathListLength) != len(pathBytes) {
				t.Errorf("go-uefi: FilePathListLength %d, want %d", lo.FilePathListLength, len(pathBytes))
			}
			nodes, err := device.ParseDevicePath(buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(nodes) != 2 {
				t.Fatalf("go-uefi: %d nodes, want 2: %#v", len(nodes), nodes)
			}
			hd, ok := nodes[0].(device.HardDriveMediaDevicePath)
			if !ok {
				t.Fatalf("go-uefi: node 0 is %T", nodes[0])
			}
			if hd.PartitionNumber != tt.hd.PartitionNumber ||
				binary.LittleEndian.Uint64(hd.PartitionStart[:]) != tt.hd.PartitionStart ||
				binary.LittleEndian.Uint64(hd.PartitionSize[:]) != tt.hd.PartitionSize ||
				hd.PartitionSignature != tt.hd.PartUUID.Mixed() ||
				hd.PartitionFormat != PartitionFormatGPT || hd.SignatureType != SignatureGUID ||
				hd.Length != [2]uint8{42, 0} {
				t.Errorf("go-uefi HD = %+v, want %+v", hd, tt.hd)
			}
			f, ok := nodes[1].(device.FileTypeMediaDevicePath)
			if !ok {
				t.Fatalf("go-uefi: node 1 is %T", nodes[1])
			}
			if f.PathName != tt.loader {
				t.Errorf("go-uefi File = %q, want %q", f.PathName, tt.loader)
			}
			if rest := buf.Bytes(); !bytes.Equal(rest, o.OptionalData) {
				t.Errorf("left after the path: %q", rest)
			}
		})
	}
}
