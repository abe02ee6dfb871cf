package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
)

// flagSpec describes one sgdisk option we implement.
type flagSpec struct {
	short  byte
	long   string
	hasArg bool
}

var flagSpecs = []flagSpec{
	{'o', "clear", false},
	{'Z', "zap-all", false},
	{'n', "new", true},
	{'t', "typecode", true},
	{'c', "change-name", true},
	{'u', "partition-guid", true},
	{'U', "disk-guid", true},
	{'d', "delete", true},
	{'a', "set-alignment", true},
	{'p', "print", false},
	{'i', "info", true},
	{'v', "verify", false},
	{'h', "help", false},
}

// op is one operation, in command-line order, with its argument parsed
// (everything that can be checked before the disk is opened is).
type op struct {
	text   string // as given, for messages: "-n 1:0:+512M"
	flag   byte
	num    int // partition number; 0: default (see apply)
	start  position
	end    position
	typ    guid.GUID
	guid   guid.GUID
	random bool
	name   string
	value  uint64
}

// position is a START or END of -n: 0 (default), an absolute sector or
// byte offset, or +/- a size.
type position struct {
	sign  byte   // 0, '+' or '-'
	n     uint64 // sectors, or bytes if bytes is set
	bytes bool
}

func (p position) isDefault() bool { return p.n == 0 }

// cmdline is a parsed command line.
type cmdline struct {
	ops        []op
	target     string
	sectorSize int
	help       bool
}

// parseArgs walks the arguments itself instead of using package flag:
// sgdisk's options repeat (-n twice) and apply in the order given.
func parseArgs(args []string) (*cmdline, error) {
	cl := &cmdline{}
	var targets []string
	w := &words{args: args}
	for ; w.i < len(args); w.i++ {
		a := args[w.i]
		var err error
		switch {
		case a == "--":
			targets = append(targets, args[w.i+1:]...)
			w.i = len(args)
		case strings.HasPrefix(a, "--"):
			err = cl.long(w, a)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			err = cl.short(w, a)
		default:
			targets = append(targets, a)
		}
		if err != nil {
			return nil, err
		}
	}
	if cl.help {
		return cl, nil
	}
	if len(targets) != 1 {
		return nil, fmt.Errorf("want one device or image file, got %d", len(targets))
	}
	cl.target = targets[0]
	return cl, nil
}

// words is the command line being walked; i is the current word.
type words struct {
	args []string
	i    int
}

// next takes the word after the current one as the argument of what.
func (w *words) next(what string) (string, error) {
	if w.i+1 >= len(w.args) {
		return "", fmt.Errorf("%s needs an argument", what)
	}
	w.i++
	return w.args[w.i], nil
}

// long parses the option a, "--name" or "--name=value".
func (cl *cmdline) long(w *words, a string) error {
	name, val, hasVal := strings.Cut(a[2:], "=")
	spec, ok := specByLong(name)
	if name == "sector-size" { // not an op: it says how to open the target
		spec, ok = flagSpec{long: name, hasArg: true}, true
	}
	if !ok {
		return fmt.Errorf("unknown option --%s", name)
	}
	if spec.hasArg && !hasVal {
		v, err := w.next(a)
		if err != nil {
			return err
		}
		val = v
	} else if !spec.hasArg && hasVal {
		return fmt.Errorf("--%s takes no argument", name)
	}
	if name == "sector-size" {
		n, err := strconv.Atoi(val)
		if err != nil || (n != 512 && n != 4096) {
			return fmt.Errorf("--sector-size %s: want 512 or 4096", val)
		}
		cl.sectorSize = n
		return nil
	}
	return cl.add(spec, "--"+name, val)
}

// short parses a cluster of letters, as "-op"; a letter that takes an
// argument ends it ("-n1:0:0") or takes the next word.
func (cl *cmdline) short(w *words, a string) error {
	for j := 1; j < len(a); j++ {
		spec, ok := specByShort(a[j])
		if !ok {
			return fmt.Errorf("unknown option -%c", a[j])
		}
		val := ""
		if spec.hasArg {
			if val = a[j+1:]; val == "" {
				v, err := w.next("-" + string(a[j]))
				if err != nil {
					return err
				}
				val = v
			}
			j = len(a)
		}
		if err := cl.add(spec, "-"+string(spec.short), val); err != nil {
			return err
		}
	}
	return nil
}

func specByShort(c byte) (flagSpec, bool) {
	for _, s := range flagSpecs {
		if s.short == c {
			return s, true
		}
	}
	return flagSpec{}, false
}

func specByLong(name string) (flagSpec, bool) {
	for _, s := range flagSpecs {
		if s.long == name {
			return s, true
		}
	}
	return flagSpec{}, false
}

// add parses the argument of one option and appends the op.
func (cl *cmdline) add(spec flagSpec, given, val string) error {
	o := op{flag: spec.short, text: given}
	if spec.hasArg {
		o.text += " " + val
	}
	var err error
	switch spec.short {
	case 'h':
		cl.help = true
		return nil
	case 'n':
		parts := strings.Split(val, ":")
		if len(parts) != 3 {
			return fmt.Errorf("%s: want PARTNUM:START:END", o.text)
		}
		if o.num, err = parseNum(parts[0], true); err == nil {
			if o.start, err = parsePosition(parts[1]); err == nil {
				o.end, err = parsePosition(parts[2])
			}
		}
		if err == nil && o.start.sign == '-' {
			err = fmt.Errorf("a start relative to the end (-SIZE) is not supported")
		}
	case 't':
		var code string
		if o.num, code, err = numAnd(val); err == nil {
			o.typ, err = gpt.ParseType(code)
		}
	case 'c':
		o.num, o.name, err = numAnd(val)
	case 'u':
		var g string
		if o.num, g, err = numAnd(val); err == nil {
			o.guid, o.random, err = parseGUIDArg(g)
		}
	case 'U':
		o.guid, o.random, err = parseGUIDArg(val)
	case 'd', 'i':
		o.num, err = parseNum(val, false)
	case 'a':
		o.value, err = strconv.ParseUint(val, 10, 32)
		if err == nil && o.value == 0 {
			err = fmt.Errorf("alignment must be at least 1 sector")
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", o.text, err)
	}
	cl.ops = append(cl.ops, o)
	return nil
}

// numAnd splits "N:REST"; REST may contain colons (names may).
func numAnd(val string) (int, string, error) {
	n, rest, ok := strings.Cut(val, ":")
	if !ok {
		return 0, "", fmt.Errorf("want PARTNUM:VALUE")
	}
	num, err := parseNum(n, true)
	return num, rest, err
}

// parseNum parses a partition number; 0 is allowed where sgdisk allows it
// (-n: first free number; -t, -c, -u: the partition just created).
func parseNum(s string, zeroOK bool) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || (n == 0 && !zeroOK) {
		return 0, fmt.Errorf("bad partition number %q", s)
	}
	return n, nil
}

func parseGUIDArg(s string) (guid.GUID, bool, error) {
	if s == "R" || s == "r" {
		return guid.GUID{}, true, nil
	}
	g, err := guid.Parse(s)
	if err == nil && g.IsZero() {
		err = fmt.Errorf("the zero GUID is not allowed")
	}
	return g, false, err
}

// parsePosition parses sgdisk's sector specifications: "0", "2048",
// "+512M", "-1G", "1M" (K, M, G, T, P suffixes are binary byte units).
func parsePosition(s string) (position, error) {
	var p position
	t := s
	if t != "" && (t[0] == '+' || t[0] == '-') {
		p.sign, t = t[0], t[1:]
	}
	mult := uint64(1)
	if t != "" {
		if i := strings.IndexByte("KMGTP", upper(t[len(t)-1])); i >= 0 {
			mult, t, p.bytes = 1<<(10*(i+1)), t[:len(t)-1], true
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n > (1<<63)/mult {
		return p, fmt.Errorf("bad sector or size %q", s)
	}
	p.n = n * mult
	return p, nil
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
