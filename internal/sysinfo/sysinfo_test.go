package sysinfo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRead(t *testing.T) {
	proc, sys := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(proc, "cpuinfo"), []byte("processor\t: 0\nmodel name\t: QEMU Virtual CPU\n\nprocessor\t: 1\nmodel name\t: QEMU Virtual CPU\n"), 0o644)
	os.WriteFile(filepath.Join(proc, "meminfo"), []byte("MemTotal:        2033184 kB\nMemFree: 1 kB\n"), 0o644)
	os.MkdirAll(filepath.Join(sys, "class/dmi/id"), 0o755)
	os.WriteFile(filepath.Join(sys, "class/dmi/id/product_uuid"), []byte("abcd\n"), 0o644)
	in, err := Read(proc, sys)
	if err != nil {
		t.Fatal(err)
	}
	want := Info{CPUModel: "QEMU Virtual CPU", CPUs: 2, MemoryBytes: 2033184 * 1024, ProductUUID: "abcd"}
	if in != want {
		t.Errorf("Read = %+v, want %+v", in, want)
	}
	if _, err := Read(filepath.Join(proc, "x"), sys); err == nil {
		t.Error("Read of missing proc succeeded")
	}
}
