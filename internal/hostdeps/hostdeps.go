// Package hostdeps is the one list of Debian packages that building Plinth
// and running its tests need on the build host, with the commands each
// provides. `make deps` installs the packages from the same file
// (packages.txt), and tests look their external tools up here, so that a
// tool a test needs is always one that `make deps` installs.
package hostdeps

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

//go:embed packages.txt
var packagesTxt string

// Package is one Debian package of the list.
type Package struct {
	Name string
	// Commands are the programs the package provides that the build or
	// the tests run; empty for libraries, headers and data (OVMF's
	// firmware, the kernel source tarball).
	Commands []string
}

// packageName is Debian Policy 5.6.1's form of a package name: lower case
// letters, digits, '+', '-' and '.', at least two long, starting with a
// letter or digit. The Makefile relies on package lines starting with one.
var packageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

// Parse reads a list in the packages.txt format: "package: cmd cmd ..."
// per line; blank lines and lines starting with '#' are ignored. A package
// or a command named twice is an error, so that each command has exactly
// one package to install.
func Parse(text string) ([]Package, error) {
	var pkgs []Package
	owner := map[string]string{} // command -> package
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("hostdeps: line %d: %w", i+1, err)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("hostdeps: line %d: package %s listed twice", i+1, p.Name)
		}
		seen[p.Name] = true
		for _, c := range p.Commands {
			if o, dup := owner[c]; dup {
				return nil, fmt.Errorf("hostdeps: line %d: command %s already listed for package %s", i+1, c, o)
			}
			owner[c] = p.Name
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func parseLine(line string) (Package, error) {
	name, cmds, ok := strings.Cut(line, ":")
	if !ok {
		return Package{}, fmt.Errorf("%q: want \"package: commands\"", line)
	}
	if !packageName.MatchString(name) {
		return Package{}, fmt.Errorf("%q: %q is not a Debian package name", line, name)
	}
	p := Package{Name: name}
	for _, c := range strings.Fields(cmds) {
		if strings.ContainsAny(c, "/:") {
			return Package{}, fmt.Errorf("%q: command %q must be a bare program name", line, c)
		}
		p.Commands = append(p.Commands, c)
	}
	return p, nil
}

// Packages returns the list that `make deps` installs. The file is part of
// the binary and its test parses it, so a malformed list is a programming
// error and panics.
func Packages() []Package {
	pkgs, err := Parse(packagesTxt)
	if err != nil {
		panic(err)
	}
	return pkgs
}

// CommandPackage returns the package of the list that provides cmd.
func CommandPackage(cmd string) (pkg string, ok bool) {
	for _, p := range Packages() {
		for _, c := range p.Commands {
			if c == cmd {
				return p.Name, true
			}
		}
	}
	return "", false
}
