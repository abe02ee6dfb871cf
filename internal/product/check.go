package product

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Check looks at the files p names in dir, the directory of its
// plinth.yaml: the brand directory exists, every file: service is a
// static x86-64 ELF executable (the runtime image has no dynamic loader
// nor shared libraries), every from: file exists, and so does the
// directory of every go: ./<dir> package (whether it builds is for the
// build to say), and the updates: ca: and installer: ca: files hold PEM
// certificates only.
// Each problem is one *ParseError, naming the field, in the joined error.
func (p *Product) Check(dir string) error {
	var errs []error
	if p.Brand != "" {
		errs = append(errs, p.checkAt("product.brand", dir, p.Brand, checkDir))
	}
	for i, s := range p.Services {
		switch {
		case s.Program.Kind == StaticFile:
			errs = append(errs, p.checkAt(fmt.Sprintf("services[%d].file", i), dir, s.Program.Path, checkStaticELF))
		case s.Program.Kind == GoPackage && s.Program.IsLocal():
			errs = append(errs, p.checkAt(fmt.Sprintf("services[%d].go", i), dir, s.Program.Path, checkPackageDir))
		}
	}
	if k := p.SecureBoot.Keys; k != "" && !path.IsAbs(k) {
		errs = append(errs, p.checkAt("secure-boot.keys", dir, k, checkDir))
	} else if k != "" {
		errs = append(errs, p.checkAt("secure-boot.keys", "/", k, checkDir))
	}
	for i, f := range p.Files {
		errs = append(errs, p.checkAt(fmt.Sprintf("files[%d].from", i), dir, f.From, checkRegular))
	}
	if p.Updates.CA != "" {
		errs = append(errs, p.checkAt("updates.ca", dir, p.Updates.CA, checkCA))
	}
	if p.Installer.CA != "" {
		errs = append(errs, p.checkAt("installer.ca", dir, p.Installer.CA, checkCA))
	}
	return errors.Join(errs...)
}

// Load reads, parses and checks the plinth.yaml at path.
func Load(path string) (*Product, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("product: %w", err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := p.Check(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return p, nil
}

// checkAt runs check on dir/rel and, when it finds a problem, returns
// it as an error about field.
func (p *Product) checkAt(field, dir, rel string, check func(path, rel string) string) error {
	msg := check(filepath.Join(dir, filepath.FromSlash(rel)), rel)
	if msg == "" {
		return nil
	}
	pos := p.lines[field]
	return &ParseError{File: FileName, Line: pos.line, Column: pos.col, Field: field, Message: msg}
}

// stat returns fi, or a message saying why rel cannot be used.
func stat(path, rel string) (fs.FileInfo, string) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Sprintf("%s does not exist: create it, or fix the path (relative to %s)", rel, FileName)
	case err != nil:
		return nil, fmt.Sprintf("%s: %v", rel, err)
	}
	return fi, ""
}

func checkDir(path, rel string) string {
	fi, msg := stat(path, rel)
	if msg == "" && !fi.IsDir() {
		msg = fmt.Sprintf("%s is not a directory: the brand is a directory holding brand.json and logo.png", rel)
	}
	return msg
}

func checkPackageDir(path, rel string) string {
	fi, msg := stat(path, rel)
	if msg == "" && !fi.IsDir() {
		msg = fmt.Sprintf("%s is not a directory: go: names a package's directory, e.g. ./cmd/server", rel)
	}
	return msg
}

func checkRegular(path, rel string) string {
	fi, msg := stat(path, rel)
	if msg == "" && !fi.Mode().IsRegular() {
		msg = fmt.Sprintf("%s is not a regular file: name a file (a directory is not copied)", rel)
	}
	return msg
}

const staticHint = "the runtime image has no dynamic loader or shared libraries: link it statically (CGO_ENABLED=0 go build, or -static)"

// checkStaticELF returns why the file at path is not a static x86-64
// Linux executable, or "".
func checkStaticELF(path, rel string) string {
	if msg := checkRegular(path, rel); msg != "" {
		return msg
	}
	if msg := checkMagic(path, rel); msg != "" {
		return msg
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("%s: %v", rel, err)
	}
	defer f.Close()
	return StaticELFProblem(f, rel)
}

// StaticELFProblem returns why the ELF file r, called name in the
// message, is not a static x86-64 Linux executable, or "". The runtime
// image has no dynamic loader: mkiso checks the binaries it builds with
// it too.
func StaticELFProblem(r io.ReaderAt, name string) string {
	f, err := elf.NewFile(r)
	if err != nil {
		return fmt.Sprintf("%s is a damaged ELF file: %v", name, err)
	}
	switch {
	case f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64:
		return fmt.Sprintf("%s is built for %s (%s), not x86-64: build it for amd64 (GOARCH=amd64)", name, f.Machine, f.Class)
	case f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN:
		return fmt.Sprintf("%s is not an executable but an ELF of type %s", name, f.Type)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Sprintf("%s is dynamically linked (interpreter %s): %s", name, interpreter(prog), staticHint)
		}
	}
	libs, err := f.ImportedLibraries()
	switch {
	case err != nil:
		return fmt.Sprintf("%s: reading its dynamic section: %v", name, err)
	case len(libs) > 0:
		return fmt.Sprintf("%s needs shared libraries (%s): %s", name, strings.Join(libs, ", "), staticHint)
	}
	return ""
}

// checkMagic returns why the file at path does not start as an ELF
// file does, or "".
func checkMagic(path, rel string) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("%s: %v", rel, err)
	}
	defer f.Close()
	head := make([]byte, len(elf.ELFMAG))
	n, _ := io.ReadFull(f, head)
	switch {
	case string(head[:n]) == elf.ELFMAG:
		return ""
	case strings.HasPrefix(string(head[:n]), "#!"):
		return fmt.Sprintf("%s is a script, and the runtime image has no shell or interpreters: ship a static x86-64 binary", rel)
	}
	return fmt.Sprintf("%s is not an ELF executable: services run static x86-64 Linux binaries", rel)
}

// interpreter returns the path a PT_INTERP segment names.
func interpreter(p *elf.Prog) string {
	b := make([]byte, min(p.Filesz, 4096))
	n, _ := p.ReadAt(b, 0)
	return strings.TrimRight(string(b[:n]), "\x00")
}
