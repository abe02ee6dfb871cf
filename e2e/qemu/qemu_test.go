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
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "-nic none"},
		{Config{HostForwards: map[int]int{8080: 80, 22: 2222}}, "-netdev user,id=net0,hostfwd=tcp:127.0.0.1:22-:2222,hostfwd=tcp:127.0.0.1:8080-:80 -device virtio-net-pci,netdev=net0"},
		{Config{MAC: "52:54:00:00:00:01", HTTPBoot: "http://10.0.2.2:8000/i.efi"},
			"-netdev user,id=net0,bootfile=http://10.0.2.2:8000/i.efi -device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,bootindex=0,romfile="},
	} {
		args, _ := Args(tt.cfg, "v")
		if !strings.Contains(strings.Join(args, " "), tt.want) {
			t.Errorf("%+v: args %q lack %q", tt.cfg, args, tt.want)
		}
	}
	t.Setenv(KVMEnv, "1")
	args, _ := Args(Config{}, "v")
	if !strings.Contains(strings.Join(args, " "), "-accel kvm") {
		t.Error("KVM not used when asked")
	}
}

func TestCheckEvents(t *testing.T) {
	tests := []struct {
		lines []string
		bad   []string // substrings of the error; none: CheckEvents passes
	}{
		{[]string{"[    1.0] booting\r\n", `@plinth {"event":"e2e-done"}` + "\r\n",
			"\x1b[0m@plinth {\"event\":\"shutdown\",\"action\":\"reboot\",\"reason\":\"hangup\"}\r\n"}, nil},
		{[]string{"@plinth {\"event\":\"ready\r\n"}, nil}, // cut by console noise: no event
		{[]string{`@plinth {"event":"rebooting"}` + "\n"}, []string{`unknown event "rebooting"`}},
		{[]string{`@plinth {"event":"shutdown","action":"reboot","reason":"x","extra":1}` + "\n",
			`@plinth {"event":"e2e-done"}` + "\n",
			`@plinth {"event":"progress","step":"plan","percent":"5"}` + "\n"},
			[]string{"2 event lines", `unknown field "extra"`, "cannot unmarshal string"}},
	}
	for i, tt := range tests {
		m := &Machine{notify: make(chan struct{})}
		for _, l := range tt.lines {
			m.addLine(l)
		}
		err := m.CheckEvents()
		if len(tt.bad) == 0 {
			if err != nil {
				t.Errorf("%d: %v", i, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%d: CheckEvents passed %q", i, tt.lines)
			continue
		}
		for _, b := range tt.bad {
			if !strings.Contains(err.Error(), b) {
				t.Errorf("%d: error %q lacks %q", i, err, b)
			}
		}
	}
}
