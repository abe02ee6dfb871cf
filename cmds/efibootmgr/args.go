package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// options are the parsed command line. Numbers given in hex on the command
// line (-b, -n, -o) are plain uint16 here; has* tells whether they were
// given.
type options struct {
	verbose int
	quiet   bool
	help    bool
	version bool

	num    uint16 // -b
	hasNum bool

	delete bool  // -B
	create bool  // -c
	active *bool // -a (true) / -A (false)

	disk   string // -d
	part   uint32 // -p
	loader string // -l
	label  string // -L

	order       []uint16 // -o
	hasOrder    bool
	deleteOrder bool // -O

	bootNext       uint16 // -n
	hasBootNext    bool
	deleteBootNext bool // -N

	timeout       uint16 // -t
	hasTimeout    bool
	deleteTimeout bool // -T
}

// optSpec is one option. The standard flag package cannot parse
// efibootmgr's command lines (-b0003, -Bb 0003, --bootnum=0003, options
// after values), so we parse getopt-style ourselves.
type optSpec struct {
	short byte
	long  string
	arg   string // name of the value for usage; "" if the option takes none
	help  string
	set   func(o *options, v string) error
}

// specs lists the options in usage order, with efibootmgr's defaults in
// the help text.
func specs() []optSpec {
	flag := func(f func(o *options)) func(*options, string) error {
		return func(o *options, _ string) error { f(o); return nil }
	}
	return []optSpec{
		{'a', "active", "", "set bootnum active", flag(func(o *options) { t := true; o.active = &t })},
		{'A', "inactive", "", "set bootnum inactive", flag(func(o *options) { f := false; o.active = &f })},
		{'b', "bootnum", "XXXX", "modify BootXXXX (hex)", func(o *options, v string) (err error) {
			o.num, err = parseHex16("boot number", v)
			o.hasNum = true
			return err
		}},
		{'B', "delete-bootnum", "", "delete bootnum (with -b)", flag(func(o *options) { o.delete = true })},
		{'c', "create", "", "create a boot entry, first in BootOrder (replaces one with the same label and loader)", flag(func(o *options) { o.create = true })},
		{'d', "disk", "DISK", "disk containing the loader (default /dev/sda)", func(o *options, v string) error { o.disk = v; return nil }},
		{'p', "part", "PART", "partition number containing the loader (default 1)", func(o *options, v string) error {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == 0 {
				return fmt.Errorf("invalid partition number %q", v)
			}
			o.part = uint32(n)
			return nil
		}},
		{'l', "loader", "NAME", `loader path on the ESP, e.g. \EFI\plinth\plinth.efi (/ becomes \)`, func(o *options, v string) error { o.loader = v; return nil }},
		{'L', "label", "LABEL", `boot manager display label (default "Linux")`, func(o *options, v string) error { o.label = v; return nil }},
		{'n', "bootnext", "XXXX", "set BootNext to XXXX (hex)", func(o *options, v string) (err error) {
			o.bootNext, err = parseHex16("BootNext", v)
			o.hasBootNext = true
			return err
		}},
		{'N', "delete-bootnext", "", "delete BootNext", flag(func(o *options) { o.deleteBootNext = true })},
		{'o', "bootorder", "XXXX,YYYY,...", "explicitly set BootOrder (hex)", func(o *options, v string) (err error) {
			o.order, err = parseOrder(v)
			o.hasOrder = true
			return err
		}},
		{'O', "delete-bootorder", "", "delete BootOrder", flag(func(o *options) { o.deleteOrder = true })},
		{'q', "quiet", "", "be quiet", flag(func(o *options) { o.quiet = true })},
		{'t', "timeout", "SECONDS", "set the boot manager timeout", func(o *options, v string) error {
			n, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return fmt.Errorf("invalid timeout %q", v)
			}
			o.timeout, o.hasTimeout = uint16(n), true
			return nil
		}},
		{'T', "delete-timeout", "", "delete Timeout", flag(func(o *options) { o.deleteTimeout = true })},
		{'v', "verbose", "", "print device paths too", flag(func(o *options) { o.verbose++ })},
		{'V', "version", "", "print the version", flag(func(o *options) { o.version = true })},
		{'h', "help", "", "show this help", flag(func(o *options) { o.help = true })},
	}
}

func parseHex16(what, v string) (uint16, error) {
	n, err := strconv.ParseUint(v, 16, 16)
	if err != nil {
		return 0, fmt.Errorf("invalid %s %q: want up to 4 hex digits", what, v)
	}
	return uint16(n), nil
}

func parseOrder(v string) ([]uint16, error) {
	var order []uint16
	for _, f := range strings.Split(v, ",") {
		n, err := parseHex16("BootOrder entry", f)
		if err != nil {
			return nil, err
		}
		order = append(order, n)
	}
	return order, nil
}

// parseArgs parses args (without the program name) getopt-style: short
// options may be clustered (-vq) and take their value attached (-b0003) or
// as the next argument (-b 0003); long options take --name=value or
// --name value.
func parseArgs(args []string) (*options, error) {
	o := &options{disk: "/dev/sda", part: 1, label: "Linux"}
	table := specs()
	for i := 0; i < len(args); i++ {
		a := args[i]
		// next returns the following argument as an option's value.
		next := func(name string) (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("option %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		switch {
		case a == "--":
			if i+1 < len(args) {
				return nil, fmt.Errorf("unexpected argument %q", args[i+1])
			}
			return o, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			sp := findLong(table, name)
			if sp == nil {
				return nil, fmt.Errorf("unknown option --%s", name)
			}
			switch {
			case sp.arg == "" && hasVal:
				return nil, fmt.Errorf("option --%s takes no value", name)
			case sp.arg != "" && !hasVal:
				v, err := next("--" + name)
				if err != nil {
					return nil, err
				}
				val = v
			}
			if err := sp.set(o, val); err != nil {
				return nil, err
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				sp := findShort(table, a[j])
				if sp == nil {
					return nil, fmt.Errorf("unknown option -%c", a[j])
				}
				if sp.arg == "" {
					if err := sp.set(o, ""); err != nil {
						return nil, err
					}
					continue
				}
				val := a[j+1:]
				if val == "" {
					v, err := next("-" + string(a[j]))
					if err != nil {
						return nil, err
					}
					val = v
				}
				if err := sp.set(o, val); err != nil {
					return nil, err
				}
				break
			}
		default:
			// efibootmgr passes extra arguments as OptionalData; we
			// have no use for that and say so rather than ignore them.
			return nil, fmt.Errorf("unexpected argument %q", a)
		}
	}
	return o, nil
}

func findLong(table []optSpec, name string) *optSpec {
	for i := range table {
		if table[i].long == name {
			return &table[i]
		}
	}
	return nil
}

func findShort(table []optSpec, c byte) *optSpec {
	for i := range table {
		if table[i].short == c {
			return &table[i]
		}
	}
	return nil
}

// check rejects combinations that make no sense before anything is read
// or written.
func (o *options) check() error {
	if o.delete && !o.hasNum {
		return errors.New("which entry? -B needs -b XXXX")
	}
	if o.active != nil && !o.hasNum {
		return errors.New("which entry? -a/-A need -b XXXX")
	}
	if o.delete && o.create {
		return errors.New("-B and -c cannot be used together")
	}
	if o.create {
		if o.label == "" {
			return errors.New("the label is empty: give one with -L LABEL")
		}
		if o.loader == "" {
			return errors.New(`-c needs the loader path: -l \EFI\<vendor>\<name>.efi`)
		}
	}
	if o.hasOrder && o.deleteOrder {
		return errors.New("-o and -O cannot be used together")
	}
	if o.hasBootNext && o.deleteBootNext {
		return errors.New("-n and -N cannot be used together")
	}
	if o.hasTimeout && o.deleteTimeout {
		return errors.New("-t and -T cannot be used together")
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: efibootmgr [options]")
	for _, sp := range specs() {
		arg := ""
		if sp.arg != "" {
			arg = " " + sp.arg
		}
		fmt.Fprintf(w, "  -%c | --%-30s %s\n", sp.short, sp.long+arg, sp.help)
	}
}
