package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	yes, no := true, false
	base := func(f func(o *options)) *options {
		o := &options{disk: "/dev/sda", part: 1, label: "Linux"}
		f(o)
		return o
	}
	tests := []struct {
		args []string
		want *options
	}{
		{nil, base(func(o *options) {})},
		{[]string{"-v"}, base(func(o *options) { o.verbose = 1 })},
		{[]string{"-vv", "-q"}, base(func(o *options) { o.verbose, o.quiet = 2, true })},
		{[]string{"-b", "0003", "-B"}, base(func(o *options) { o.num, o.hasNum, o.delete = 3, true, true })},
		{[]string{"-b0003", "-B"}, base(func(o *options) { o.num, o.hasNum, o.delete = 3, true, true })},
		{[]string{"-Bb", "00aF"}, base(func(o *options) { o.num, o.hasNum, o.delete = 0xaf, true, true })},
		{[]string{"--bootnum=0003", "--delete-bootnum"}, base(func(o *options) { o.num, o.hasNum, o.delete = 3, true, true })},
		{[]string{"--bootnum", "1A", "-a"}, base(func(o *options) { o.num, o.hasNum, o.active = 0x1a, true, &yes })},
		{[]string{"-b", "1", "-A"}, base(func(o *options) { o.num, o.hasNum, o.active = 1, true, &no })},
		{[]string{"-o", "0001,0002"}, base(func(o *options) { o.order, o.hasOrder = []uint16{1, 2}, true })},
		{[]string{"--bootorder=3,1"}, base(func(o *options) { o.order, o.hasOrder = []uint16{3, 1}, true })},
		{[]string{"-O", "-N", "-T"}, base(func(o *options) { o.deleteOrder, o.deleteBootNext, o.deleteTimeout = true, true, true })},
		{[]string{"-n", "0004", "-t", "5"}, base(func(o *options) {
			o.bootNext, o.hasBootNext, o.timeout, o.hasTimeout = 4, true, 5, true
		})},
		{[]string{"-c", "-d", "/dev/vda", "-p", "2", "-l", "/EFI/plinth/plinth.efi", "-L", "Plinth OS"}, base(func(o *options) {
			o.create, o.disk, o.part, o.loader, o.label = true, "/dev/vda", 2, "/EFI/plinth/plinth.efi", "Plinth OS"
		})},
		{[]string{"--create", "--disk=/dev/nvme0n1", "--part", "1", "--loader", `\EFI\x.efi`, "--label=-L", "--"}, base(func(o *options) {
			o.create, o.disk, o.loader, o.label = true, "/dev/nvme0n1", `\EFI\x.efi`, "-L"
		})},
		{[]string{"-cL", "X", "-l/a.efi"}, base(func(o *options) { o.create, o.label, o.loader = true, "X", "/a.efi" })},
		{[]string{"-h"}, base(func(o *options) { o.help = true })},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.args, got, tt.want)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-b"}, "-b needs a value"},
		{[]string{"--bootnum"}, "--bootnum needs a value"},
		{[]string{"-b", "zz"}, `invalid boot number "zz"`},
		{[]string{"-b", "10000"}, `invalid boot number "10000"`},
		{[]string{"-o", "1,,2"}, `invalid BootOrder entry ""`},
		{[]string{"-n", "x"}, `invalid BootNext "x"`},
		{[]string{"-p", "0"}, `invalid partition number "0"`},
		{[]string{"-t", "-1"}, `invalid timeout "-1"`},
		{[]string{"-x"}, "unknown option -x"},
		{[]string{"--nope"}, "unknown option --nope"},
		{[]string{"--quiet=1"}, "--quiet takes no value"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		_, err := parseArgs(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-B"}, "-B needs -b XXXX"},
		{[]string{"-a"}, "-a/-A need -b XXXX"},
		{[]string{"-c", "-l", "/x.efi", "-L", ""}, "label is empty"},
		{[]string{"-c"}, "-c needs the loader path"},
		{[]string{"-b", "1", "-B", "-c", "-l", "/x"}, "cannot be used together"},
		{[]string{"-o", "1", "-O"}, "cannot be used together"},
		{[]string{"-n", "1", "-N"}, "cannot be used together"},
		{[]string{"-t", "1", "-T"}, "cannot be used together"},
	}
	for _, tt := range tests {
		o, err := parseArgs(tt.args)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if err := o.check(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}
