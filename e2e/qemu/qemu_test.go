package qemu

import (
	"os"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	os.Unsetenv(KVMEnv)
	tests := []struct {
		drive Drive
		want  []string
	}{
		{Drive{Kind: CD, File: "x.iso", ReadOnly: true, BootIndex: 1}, []string{"if=none,id=drive0,format=raw,file=x.iso,readonly=on", "ide-cd,drive=drive0,bootindex=1"}},
		{Drive{Kind: USB, File: "x.iso", Snapshot: true, BootIndex: 1}, []string{"qemu-xhci,id=xhci", "usb-storage,bus=xhci.0,drive=drive0,bootindex=1"}},
		{Drive{Kind: Virtio, File: "d.img"}, []string{"virtio-blk-pci,drive=drive0"}},
		{Drive{Kind: NVMe, File: "d.img", Serial: "S1", BootIndex: 2}, []string{"nvme,serial=S1,drive=drive0,bootindex=2"}},
		{Drive{Kind: Virtio, File: "d.img", SectorSize: 4096}, []string{"virtio-blk-pci,drive=drive0,logical_block_size=4096,physical_block_size=4096"}},
	}
	for _, tt := range tests {
		args, err := Args(Config{Drives: []Drive{tt.drive}}, "vars.fd")
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(args, " ")
		for _, w := range tt.want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s: args %q lack %q", tt.drive.Kind, joined, w)
			}
		}
		if !strings.Contains(joined, "-accel tcg") {
			t.Errorf("default accelerator is not tcg: %q", joined)
		}
	}
	if _, err := Args(Config{Drives: []Drive{{Kind: "floppy"}}}, "v"); err == nil {
		t.Error("unknown media kind accepted")
	}
	args, _ := Args(Config{HostForwards: map[int]int{8080: 80}}, "v")
	if !strings.Contains(strings.Join(args, " "), "-nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:8080-:80") {
		t.Errorf("host forward missing: %q", args)
	}
	t.Setenv(KVMEnv, "1")
	args, _ = Args(Config{}, "v")
	if !strings.Contains(strings.Join(args, " "), "-accel kvm") {
		t.Error("KVM not used when asked")
	}
}
