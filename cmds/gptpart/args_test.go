package main

import (
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    string
		flags   string // the op letters in order
		target  string
		ss      int
		wantErr string
	}{
		{args: "-o -n 1:0:+512M -t 1:EF00 -c 1:ESP -n 2:0:0 disk.img", flags: "ontcn", target: "disk.img"},
		{args: "-op disk.img", flags: "op", target: "disk.img"},
		{args: "-n1:0:0 -n 2:0:0 -pv disk.img", flags: "nnpv", target: "disk.img"},
		{args: "--clear --new=1:0:+1G --typecode 1:8300 --print --sector-size 4096 x", flags: "ontp", target: "x", ss: 4096},
		{args: "--sector-size=512 -Z -- -odd-name", flags: "Z", target: "-odd-name", ss: 512},
		{args: "disk.img -o", flags: "o", target: "disk.img"},
		{args: "-c 1:a:b:c x", flags: "c", target: "x"},
		{args: "-u 1:R -U r -d 3 -i 2 -a 8 x", flags: "uUdia", target: "x"},
		{args: "-o", wantErr: "want one device"},
		{args: "-o a b", wantErr: "want one device"},
		{args: "-x a", wantErr: "unknown option -x"},
		{args: "--frobnicate a", wantErr: "unknown option --frobnicate"},
		{args: "-n", wantErr: "needs an argument"},
		{args: "-n 1:0 x", wantErr: "PARTNUM:START:END"},
		{args: "-n a:0:0 x", wantErr: "bad partition number"},
		{args: "-n 1:0:+12Q x", wantErr: "bad sector or size"},
		{args: "-n 1:-5M:0 x", wantErr: "not supported"},
		{args: "-t 1:ZZ00 x", wantErr: "bad type code"},
		{args: "-t 1:1234 x", wantErr: "unknown type code"},
		{args: "-t 1 x", wantErr: "PARTNUM:VALUE"},
		{args: "-u 1:not-a-guid x", wantErr: "bad GUID"},
		{args: "-U 00000000-0000-0000-0000-000000000000 x", wantErr: "zero GUID"},
		{args: "-d 0 x", wantErr: "bad partition number"},
		{args: "-a 0 x", wantErr: "at least 1"},
		{args: "--sector-size 1000 x", wantErr: "512 or 4096"},
		{args: "--print=yes x", wantErr: "takes no argument"},
	}
	for _, tc := range tests {
		cl, err := parseArgs(strings.Fields(tc.args))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		var flags []byte
		for _, o := range cl.ops {
			flags = append(flags, o.flag)
		}
		if string(flags) != tc.flags || cl.target != tc.target || cl.sectorSize != tc.ss {
			t.Errorf("%q: ops %q target %q ss %d", tc.args, flags, cl.target, cl.sectorSize)
		}
	}
}

func TestParsePosition(t *testing.T) {
	tests := []struct {
		in   string
		want position
	}{
		{"0", position{}},
		{"2048", position{n: 2048}},
		{"+512M", position{sign: '+', n: 512 << 20, bytes: true}},
		{"-1g", position{sign: '-', n: 1 << 30, bytes: true}},
		{"1M", position{n: 1 << 20, bytes: true}},
		{"+100K", position{sign: '+', n: 100 << 10, bytes: true}},
		{"+2T", position{sign: '+', n: 2 << 40, bytes: true}},
	}
	for _, tc := range tests {
		if got, err := parsePosition(tc.in); err != nil || got != tc.want {
			t.Errorf("parsePosition(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "+", "M", "1.5G", "99999999999P", "1X"} {
		if _, err := parsePosition(bad); err == nil {
			t.Errorf("parsePosition(%q) succeeded", bad)
		}
	}
}

func TestIEEE(t *testing.T) {
	// Expected strings are what sgdisk 1.0.9 prints for these sizes.
	tests := []struct {
		sectors uint64
		ss      int
		want    string
	}{
		{2, 512, "1024 bytes"},
		{100, 512, "50.0 KiB"},
		{2014, 512, "1007.0 KiB"},
		{2048, 512, "1024.0 KiB"},
		{1048576, 512, "512.0 MiB"},
		{15726559, 512, "7.5 GiB"},
		{16777216, 512, "8.0 GiB"},
		{262144, 4096, "1024.0 MiB"},
		{250, 4096, "1000.0 KiB"},
	}
	for _, tc := range tests {
		if got := ieee(tc.sectors, tc.ss); got != tc.want {
			t.Errorf("ieee(%d, %d) = %q, want %q", tc.sectors, tc.ss, got, tc.want)
		}
	}
}
