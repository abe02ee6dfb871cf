package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// Command sequences run by both sgdisk and gptpart on 8 GiB sparse images:
// with every GUID given, the two images must be byte for byte the same,
// and sgdisk must find no problems in ours.
var sequences = []struct {
	name string
	args string
}{
	{"esp and data", "-o -n 1:0:+512M -t 1:EF00 -c 1:ESP -n 2:0:0 -t 2:8300 -c 2:data"},
	{"installer layout", "-o -n 1:0:+512M -t 1:ef00 -c 1:EFI -n 2:0:+1G -t 2:8200 -c 2:swap -n 3:0:+4G -t 3:8304 -c 3:root -n 4:0:0 -t 4:8302 -c 4:home"},
	{"bios boot first", "-o -n 1:0:+1M -t 1:EF02 -n 2:0:+100K -t 2:0700 -c 2:win -n 3:0:-1G -t 3:8300 -n 4:0:0"},
	{"numbers out of order", "-o -n 3:0:+10M -n 1:0:+10M -n 0:0:+10M -t 0:8309 -c 0:luks -n 0:0:0"},
	{"explicit sectors", "-o -n 1:2048:4095 -n 2:2M:+1M -n 3:+1M:+1M -n 5:16384:32767 -d 2 -n 2:0:0"},
	{"type by GUID", "-o -n 1:0:0 -t 1:4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 -c 1:root"},
	{"small disk", "-o -n 1:0:+10M -t 1:EF00 -n 2:0:0 -t 2:8300"},
	{"names", "-o -n 1:0:+1M -c 1:abcdefghijklmnopqrstuvwxyz0123456789 -n 2:0:+1M -c 2:data-2_x.y -n 3:0:+1M -c 3:üñí"},
}

// guids adds -U and -u for every partition the sequence creates, so the
// result is deterministic.
func guids(args []string) []string {
	out := append([]string(nil), args...)
	out = append(out, "-U", "00000000-1111-4222-8333-444444444444")
	for i := 1; i <= 5; i++ {
		for j := 0; j+1 < len(args); j++ {
			if args[j] == "-n" && (strings.HasPrefix(args[j+1], string(rune('0'+i))+":")) {
				out = append(out, "-u", string(rune('0'+i))+":0000000"+string(rune('0'+i))+"-1111-4222-8333-444444444444")
			}
		}
	}
	return out
}

func TestSameAsSgdisk(t *testing.T) {
	sgdisk := testdisk.Tool(t, "sgdisk")
	for _, seq := range sequences {
		t.Run(seq.name, func(t *testing.T) {
			args := guids(strings.Fields(seq.args))
			if strings.Contains(seq.args, "-n 0:") {
				args = strings.Fields(seq.args) // numbers chosen at run time: no -u
				args = append(args, "-U", "00000000-1111-4222-8333-444444444444")
			}
			size := int64(8 << 30)
			if seq.name == "small disk" {
				size = 100 << 20 // CHS-addressable: the MBR's end CHS is computed
			}
			ours := testdisk.TempSparse(t, "ours.img", size)
			theirs := testdisk.TempSparse(t, "theirs.img", size)
			status, stdout, stderr := gptpart(append(args, ours)...)
			if status != 0 {
				t.Fatalf("gptpart %s: status %d\n%s%s", args, status, stdout, stderr)
			}
			testdisk.Run(t, sgdisk, append(args, theirs)...)

			if out := testdisk.Run(t, sgdisk, "-v", ours); !strings.Contains(out, "No problems found") {
				t.Errorf("sgdisk -v on ours:\n%s", out)
			}
			sgp := testdisk.Run(t, sgdisk, "-p", ours)
			_, ourp, _ := gptpart("-p", ours)
			if sgp != ourp {
				t.Errorf("sgdisk -p:\n%s\ngptpart -p:\n%s", sgp, ourp)
			}
			tp := testdisk.Run(t, sgdisk, "-p", theirs)
			if strings.Contains(seq.args, "-n 0:") {
				// Partition GUIDs are random: compare what sgdisk shows.
				if withoutDiskLine(tp) != withoutDiskLine(sgp) {
					t.Errorf("sgdisk made\n%s\nwe made\n%s", tp, sgp)
				}
				return
			}
			if !bytes.Equal(gptAreas(t, ours, 512), gptAreas(t, theirs, 512)) {
				t.Errorf("images differ from sgdisk's\nsgdisk's:\n%s\nours:\n%s", tp, sgp)
			}
			for i := 1; i <= 5; i++ {
				n := string(rune('0' + i))
				if !strings.Contains(seq.args, "-n "+n+":") || strings.Contains(seq.args, "-d "+n) {
					continue
				}
				info := testdisk.Run(t, sgdisk, "-i", n, ours)
				want := "Partition unique GUID: 0000000" + n + "-1111-4222-8333-444444444444"
				if !strings.Contains(info, want) {
					t.Errorf("sgdisk -i %s lacks %q:\n%s", n, want, info)
				}
				_, our, _ := gptpart("-i", n, ours)
				if our != info {
					t.Errorf("gptpart -i %s:\n%s\nsgdisk -i %s:\n%s", n, our, n, info)
				}
			}
		})
	}
}

// TestReadsSgdisk prints tables sgdisk made, as sgdisk does.
func TestReadsSgdisk(t *testing.T) {
	sgdisk := testdisk.Tool(t, "sgdisk")
	img := testdisk.TempSparse(t, "sg.img", 8<<30)
	testdisk.Run(t, sgdisk, "-o", "-n", "1:0:+512M", "-t", "1:EF00", "-c", "1:EFI system", "-n", "2:0:+2G", "-t", "2:8200",
		"-n", "3:0:0", "-t", "3:8304", "-c", "3:root", img)
	for _, flag := range []string{"-p", "-v"} {
		want := testdisk.Run(t, sgdisk, flag, img)
		status, got, stderr := gptpart(flag, img)
		if status != 0 || got != want {
			t.Errorf("gptpart %s: status %d %s\n%s\nsgdisk %s:\n%s", flag, status, stderr, got, flag, want)
		}
	}
	// Edit sgdisk's table with gptpart, then let sgdisk check it.
	if status, out, stderr := gptpart("-d", "2", "-n", "2:0:0", "-t", "2:8300", "-c", "2:data", img); status != 0 {
		t.Fatalf("gptpart: %d\n%s%s", status, out, stderr)
	}
	if out := testdisk.Run(t, sgdisk, "-v", img); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	if out := testdisk.Run(t, sgdisk, "-i", "2", img); !strings.Contains(out, "Partition name: 'data'") || !strings.Contains(out, "(Linux filesystem)") {
		t.Errorf("sgdisk -i 2:\n%s", out)
	}
}
