package product

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/netanswers"
)

// Defaults of files and data directories.
const (
	DefaultFileMode    Mode = 0o644
	DefaultDataDirMode Mode = 0o755
)

// LogDir is where the appliance writes the services' logs; data-dirs
// stay out of it.
const LogDir = DataMount + "/log"

func (ps *parser) files(v val) error {
	items, err := v.items()
	if err != nil {
		return err
	}
	first := map[string]int{}
	for _, it := range items {
		f, pathV, err := ps.file(it)
		if err != nil {
			return err
		}
		if line, dup := first[f.Path]; dup {
			return pathV.errorf("%s is listed twice (first on line %d)", f.Path, line)
		}
		first[f.Path] = pathV.Line
		ps.p.Files = append(ps.p.Files, f)
	}
	return nil
}

func (ps *parser) file(v val) (File, val, error) {
	out := File{Mode: DefaultFileMode, Owner: Owner{"root", "root"}}
	f, err := v.fields("path", "from", "mode", "owner")
	if err != nil {
		return out, val{}, err
	}
	pv, ok := f.get("path")
	if !ok {
		return out, val{}, f.missing("path", "where the file goes in the runtime image, e.g. /etc/acme/acme.conf")
	}
	if out.Path, err = imagePath(pv); err != nil {
		return out, val{}, err
	}
	if r := reservedFor(out.Path); r != "" {
		return out, val{}, pv.errorf("%s is under %s, which Plinth mounts over or fills itself: choose another place", out.Path, r)
	}
	fv, ok := f.get("from")
	if !ok {
		return out, val{}, f.missing("from", "the file in the repository, relative to "+FileName)
	}
	if out.From, err = repoPath(fv); err != nil {
		return out, val{}, err
	}
	ps.p.lines[fv.field] = position{fv.Line, fv.Column}
	if out.Mode, out.Owner, err = ps.modeOwner(f, out.Mode); err != nil {
		return out, val{}, err
	}
	return out, pv, nil
}

// modeOwner reads the mode: and owner: of f, if there.
func (ps *parser) modeOwner(f fields, m Mode) (Mode, Owner, error) {
	o := Owner{"root", "root"}
	var err error
	if mv, ok := f.get("mode"); ok {
		if m, err = mode(mv); err != nil {
			return 0, o, err
		}
	}
	if ov, ok := f.get("owner"); ok {
		if o, err = ps.owner(ov); err != nil {
			return 0, o, err
		}
	}
	return m, o, nil
}

func (ps *parser) dataDirs(v val) error {
	items, err := v.items()
	if err != nil {
		return err
	}
	first := map[string]int{}
	for _, it := range items {
		f, err := it.fields("path", "mode", "owner")
		if err != nil {
			return err
		}
		pv, ok := f.get("path")
		if !ok {
			return f.missing("path", "a directory below /data, e.g. /data/backups")
		}
		d := DataDir{}
		if d.Path, err = dataDirPath(pv); err != nil {
			return err
		}
		if line, dup := first[d.Path]; dup {
			return pv.errorf("%s is listed twice (first on line %d)", d.Path, line)
		}
		first[d.Path] = pv.Line
		if d.Mode, d.Owner, err = ps.modeOwner(f, DefaultDataDirMode); err != nil {
			return err
		}
		ps.p.DataDirs = append(ps.p.DataDirs, d)
	}
	return nil
}

func dataDirPath(v val) (string, error) {
	p, err := imagePath(v)
	switch {
	case err != nil:
		return "", err
	case !under(p, DataMount) || p == DataMount:
		return "", v.errorf("%s is not below %s: data-dirs are on the data partition; put other files under files:", p, DataMount)
	case under(p, LogDir):
		return "", v.errorf("%s is the services' log directory, which the appliance manages", p)
	}
	return p, nil
}

// minSize is the smallest min-memory and min-disk: answers.ParseSize
// refuses smaller sizes (the data partition's minimum), and no machine
// Plinth runs on has less memory or disk.
const minSize = 256 << 20

func (ps *parser) installer(v val) error {
	f, err := v.fields("answers", "min-memory", "min-disk", "answers-url", "report-url", "ca")
	if err != nil {
		return err
	}
	in := &ps.p.Installer
	if mv, ok := f.get("min-memory"); ok {
		if in.MinMemory, err = size(mv); err != nil {
			return err
		}
	}
	if dv, ok := f.get("min-disk"); ok {
		if in.MinDisk, err = size(dv); err != nil {
			return err
		}
	}
	if av, ok := f.get("answers"); ok {
		if err := ps.answers(av); err != nil {
			return err
		}
	}
	return ps.netInstall(f)
}

// netInstall reads the installer's answers-url:, report-url: and ca:.
func (ps *parser) netInstall(f fields) error {
	in := &ps.p.Installer
	var err error
	for _, k := range []struct {
		key string
		dst *string
	}{{"answers-url", &in.AnswersURL}, {"report-url", &in.ReportURL}} {
		if uv, ok := f.get(k.key); ok {
			if *k.dst, err = urlTemplate(uv); err != nil {
				return err
			}
		}
	}
	if cv, ok := f.get("ca"); ok {
		if in.CA, err = repoPath(cv); err != nil {
			return err
		}
		ps.p.lines[cv.field] = position{cv.Line, cv.Column}
	}
	return nil
}

// urlTemplate reads a URL template of package netanswers.
func urlTemplate(v val) (string, error) {
	s, err := v.line()
	if err != nil {
		return "", err
	}
	if err := netanswers.CheckTemplate(s); err != nil {
		return "", v.errorf("%s", strings.TrimPrefix(err.Error(), "netanswers: "))
	}
	return strings.TrimSpace(s), nil
}

// size reads a size with a binary unit, as install.yaml's data-size.
func size(v val) (int64, error) {
	s, err := v.line()
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(s) == answers.DataSizeRest {
		return 0, v.errorf("want a size such as 2GiB or 512MiB, got %q", s)
	}
	if fewMiB(s) {
		return 0, v.errorf("%q is too small: at least %s", s, answers.FormatSize(minSize))
	}
	n, err := answers.ParseSize(s)
	if err != nil {
		return 0, v.errorf("%v", err)
	}
	return n, nil
}

// fewMiB reports whether s is a number of MiB (unit MiB or M) below
// minSize, which answers.ParseSize refuses for a reason (the data
// partition's) that is not this one.
func fewMiB(s string) bool {
	s = strings.TrimSpace(s)
	num, ok := strings.CutSuffix(s, "MiB")
	if !ok {
		num, ok = strings.CutSuffix(s, "M")
	}
	n, err := strconv.ParseUint(strings.TrimSpace(num), 10, 32)
	return ok && err == nil && n < minSize>>20
}

// The installer's answers and the product's network are read by package
// answers, which owns install.yaml's syntax. Their text is cut out of
// plinth.yaml and padded with empty lines so that answers' line numbers
// are plinth.yaml's; its columns are shifted back by the indentation
// removed.

func (ps *parser) answers(v val) error {
	text, indent, err := block(ps.src, v, "one key per line, as in install.yaml")
	if err != nil {
		return err
	}
	doc := append(bytes.Repeat([]byte("\n"), v.Line-1), text...)
	a, err := answers.Parse(doc)
	if err != nil {
		return fromAnswers(err, v.field, v.field, indent)
	}
	ps.p.Installer.Answers, ps.p.Installer.AnswersYAML = a, text
	return nil
}

func (ps *parser) network(v val) error {
	text, indent, err := block(ps.src, v, "mode:, address:, gateway:, dns:, one per line, as in install.yaml")
	if err != nil {
		return err
	}
	// install.yaml needs a disk:; it goes after the block, which keeps
	// its lines: the network: line is the one before the block's first.
	var doc bytes.Buffer
	doc.Write(bytes.Repeat([]byte("\n"), v.Line-2))
	doc.WriteString("network:\n")
	for _, l := range strings.SplitAfter(string(text), "\n") {
		if strings.TrimSpace(l) != "" {
			doc.WriteString("  ")
		}
		doc.WriteString(l)
	}
	doc.WriteString("\ndisk: largest\n")
	a, err := answers.Parse(doc.Bytes())
	if err != nil {
		return fromAnswers(err, "", v.field, indent-2)
	}
	ps.p.Network = a.Network
	return nil
}

// block returns the text of the block mapping v, without its
// indentation, and the indentation. Comments inside it are kept; those
// after it are left to what follows.
func block(src []byte, v val, want string) ([]byte, int, error) {
	if v.Kind != yaml.MappingNode || v.Style&yaml.FlowStyle != 0 {
		return nil, 0, v.errorf("want a block mapping: %s", want)
	}
	indent := v.Column - 1
	var lines []string
	last := 0 // lines[:last] end with the block's last value
	for _, l := range strings.SplitAfter(string(src), "\n")[v.Line-1:] {
		t := strings.TrimLeft(l, " ")
		switch {
		case strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#"):
			lines = append(lines, t)
			continue
		case len(l)-len(t) < indent:
			return []byte(strings.Join(lines[:last], "")), indent, nil
		}
		lines = append(lines, l[indent:])
		last = len(lines)
	}
	return []byte(strings.Join(lines[:last], "")), indent, nil
}

// fromAnswers turns answers' error into plinth.yaml's: its field
// prefixed with prefix, or whole when it names no field.
func fromAnswers(err error, prefix, whole string, colShift int) error {
	var ae *answers.ParseError
	if !errors.As(err, &ae) {
		return &ParseError{File: FileName, Field: whole, Message: err.Error()}
	}
	pe := &ParseError{File: FileName, Line: ae.Line, Column: ae.Column, Field: whole, Message: ae.Message}
	if ae.Column > 0 {
		pe.Column += colShift
	}
	if ae.Field != "" {
		pe.Field = join(prefix, ae.Field)
	}
	return pe
}
