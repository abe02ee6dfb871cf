package bundle

import (
	"cmp"
	"fmt"
	"strings"
)

// maxVersionLen bounds a version string, in bytes.
const maxVersionLen = maxTextLen

// version is a parsed version string; see CompareVersions.
type version struct {
	release []string // decimal digits, at least one
	suffix  []string // the fields after '-', without the separators
	dirty   bool     // ended in "-dirty"
}

// CompareVersions returns -1, 0 or +1 as version a is older than, the
// same as or newer than b, or an error when they cannot be ordered. An
// update whose MinVersion cannot be compared with the installed version
// is refused: guessing could run a data migration from a version it was
// not written for.
//
// A version is
//
//	[v] release [-suffix] [+build]
//
// release is one or more decimal numbers separated by '.' ("1", "1.4",
// "1.2.3"); suffix is fields of ASCII letters and digits separated by
// '.' or '-' ("rc.1", "1", "3-gdeadbeef"); build is letters, digits, '.'
// and '-'. Anything else (an empty string, "latest", a bare commit hash,
// "1.2~rc1") is not a version and cannot be compared. The rules:
//
//   - The "v" is ignored: v1.2.3 is 1.2.3.
//   - Releases compare number by number, numerically (1.10 is newer than
//     1.9); missing numbers are 0 (1.4 is 1.4.0). Leading zeros do not
//     count.
//   - A suffix that starts with a letter marks a pre-release, older than
//     its release (1.2.3-rc1 before 1.2.3), as in Semantic Versioning.
//     A suffix that starts with a digit marks a revision, newer than its
//     release: 3.7.3-1 after 3.7.3, as Debian numbers packages, and
//     v1.4.2-3-g1a2b3c4 after v1.4.2, as `git describe` names the third
//     commit after a tag.
//   - Two pre-releases, or two revisions, of the same release compare
//     field by field; within a field, runs of digits compare numerically
//     and runs of letters in ASCII order, digits before letters (rc2
//     before rc10, 1 before alpha); when one runs out first, it is older
//     (rc before rc.1).
//   - `git describe` revisions (N-gHASH) compare by N, the number of
//     commits after the tag. Two different commits with the same N are
//     on different branches and cannot be ordered.
//   - A version that ends in "-dirty" (`git describe --dirty`: built from
//     uncommitted changes) cannot be ordered against the same version,
//     dirty or not: nobody knows what the changes were.
//   - +build is ignored, as in Semantic Versioning.
func CompareVersions(a, b string) (int, error) {
	va, err := parseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseVersion(b)
	if err != nil {
		return 0, err
	}
	if c := compareRelease(va.release, vb.release); c != 0 {
		return c, nil
	}
	c, err := compareSuffix(va.suffix, vb.suffix)
	if err != nil {
		return 0, fmt.Errorf("%s and %s: %w", a, b, err)
	}
	if c == 0 && (va.dirty || vb.dirty) {
		return 0, fmt.Errorf("%s and %s: a build from uncommitted changes (-dirty) cannot be ordered against the same version", a, b)
	}
	return c, nil
}

// parseVersion parses s as CompareVersions describes.
func parseVersion(s string) (version, error) {
	v, msg := splitVersion(s)
	if msg != "" {
		return version{}, fmt.Errorf("%q is not a version like 1.2.3, v1.2.3, 1.2.3-rc1 or 1.2.3-1: %s", s, msg)
	}
	return v, nil
}

// splitVersion returns the parsed version, or what is wrong with s.
func splitVersion(s string) (version, string) {
	if s == "" || len(s) > maxVersionLen {
		return version{}, fmt.Sprintf("want 1 to %d characters", maxVersionLen)
	}
	rest, build, hasBuild := strings.Cut(strings.TrimPrefix(s, "v"), "+")
	if hasBuild && !validFields(build, ".-") {
		return version{}, "build metadata after '+' must be letters, digits, '.' and '-'"
	}
	var v version
	rest, v.dirty = strings.CutSuffix(rest, "-dirty")
	release, suffix, hasSuffix := strings.Cut(rest, "-")
	v.release = strings.Split(release, ".")
	for _, n := range v.release {
		if n == "" || strings.Trim(n, "0123456789") != "" {
			return version{}, fmt.Sprintf("release %q must be numbers separated by '.'", release)
		}
	}
	if hasSuffix {
		if !validFields(suffix, ".-") {
			return version{}, fmt.Sprintf("suffix %q must be letters and digits separated by '.' or '-'", suffix)
		}
		v.suffix = strings.FieldsFunc(suffix, func(r rune) bool { return r == '.' || r == '-' })
	}
	return v, ""
}

// validFields reports whether s is one or more fields of ASCII letters
// and digits separated by single characters of seps.
func validFields(s, seps string) bool {
	afterSep := true // s may not start with a separator
	for _, c := range []byte(s) {
		sep := strings.IndexByte(seps, c) >= 0
		if sep && afterSep || !sep && !isDigit(c) && !isLetter(c) {
			return false
		}
		afterSep = sep
	}
	return !afterSep // nor be empty, nor end with one
}

// compareRelease compares dotted numbers; a missing number is 0.
func compareRelease(a, b []string) int {
	for i := range max(len(a), len(b)) {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := compareDigits(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// compareDigits compares decimal numbers of any length.
func compareDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// suffixKind is -1 for a pre-release, 0 for none, +1 for a revision.
func suffixKind(s []string) int {
	switch {
	case len(s) == 0:
		return 0
	case isDigit(s[0][0]):
		return 1
	}
	return -1
}

func compareSuffix(a, b []string) (int, error) {
	if c := cmp.Compare(suffixKind(a), suffixKind(b)); c != 0 {
		return c, nil
	}
	if isDescribe(a) && isDescribe(b) {
		if c := compareDigits(a[0], b[0]); c != 0 || a[1] == b[1] {
			return c, nil
		}
		return 0, fmt.Errorf("commits %s and %s are both %s commits after the tag, on different branches: they cannot be ordered", a[1][1:], b[1][1:], a[0])
	}
	for i := range min(len(a), len(b)) {
		if c := compareField(a[i], b[i]); c != 0 {
			return c, nil
		}
	}
	return cmp.Compare(len(a), len(b)), nil
}

// isDescribe reports whether a suffix is git describe's N-gHASH.
func isDescribe(s []string) bool {
	if len(s) != 2 || strings.Trim(s[0], "0123456789") != "" || len(s[1]) < 5 || s[1][0] != 'g' {
		return false
	}
	return strings.Trim(s[1][1:], "0123456789abcdef") == ""
}

// compareField compares runs of digits numerically and runs of letters
// in ASCII order, digits first.
func compareField(a, b string) int {
	for a != "" && b != "" {
		var x, y string
		x, a = nextRun(a)
		y, b = nextRun(b)
		dx, dy := isDigit(x[0]), isDigit(y[0])
		var c int
		switch {
		case dx && dy:
			c = compareDigits(x, y)
		case dx:
			c = -1
		case dy:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// nextRun splits s after its leading run of digits, or of non-digits.
func nextRun(s string) (run, rest string) {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
