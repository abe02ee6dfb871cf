package installplan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/errcode"
)

// Error is a refusal with a machine-readable code.
type Error struct {
	Code    errcode.Code
	Message string
	Err     error // underlying error, if any
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

func errorf(code errcode.Code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Code returns the error code for err: an *Error's code,
// answers-invalid for an *answers.ParseError, "" for nil and internal
// otherwise.
func Code(err error) errcode.Code {
	var e *Error
	var pe *answers.ParseError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &pe):
		return errcode.AnswersInvalid
	}
	return errcode.Internal
}

// Select picks the disk sel names. largest and smallest choose among
// eligible disks and refuse a tie; serial, WWN and by-id selectors
// must match exactly one disk, which must be eligible.
func Select(cands []Candidate, sel answers.Selector) (Candidate, error) {
	if len(cands) == 0 {
		return Candidate{}, errorf(errcode.NoDisk, "no disks found")
	}
	switch sel.Kind {
	case answers.SelectLargest, answers.SelectSmallest:
		var best []Candidate
		for _, c := range cands {
			if !c.Eligible {
				continue
			}
			switch {
			case len(best) == 0,
				sel.Kind == answers.SelectLargest && c.Disk.Size > best[0].Disk.Size,
				sel.Kind == answers.SelectSmallest && c.Disk.Size < best[0].Disk.Size:
				best = []Candidate{c}
			case c.Disk.Size == best[0].Disk.Size:
				best = append(best, c)
			}
		}
		if len(best) == 0 {
			return Candidate{}, noEligible(cands)
		}
		if len(best) > 1 {
			return Candidate{}, errorf(errcode.DiskAmbiguous, "disk: %s: %d eligible disks have the same size, name one by serial: or wwn: (disks: %s)", sel.Kind, len(best), list(best))
		}
		return best[0], nil
	case answers.SelectSerial, answers.SelectWWN, answers.SelectByID:
	default:
		return Candidate{}, errorf(errcode.AnswersInvalid, "unknown disk selector kind %q", sel.Kind)
	}
	var hits []Candidate
	for _, c := range cands {
		if matches(c, sel) {
			hits = append(hits, c)
		}
	}
	what := map[string]string{answers.SelectSerial: "serial", answers.SelectWWN: "WWN", answers.SelectByID: "by-id name"}[sel.Kind]
	switch {
	case len(hits) == 0:
		return Candidate{}, errorf(errcode.NoDisk, "no disk matches %s %s (disks: %s)", what, sel.Value, list(cands))
	case len(hits) > 1:
		return Candidate{}, errorf(errcode.DiskAmbiguous, "%d disks match %s %s; name one by wwn: instead (disks: %s)", len(hits), what, sel.Value, list(hits))
	}
	c := hits[0]
	if !c.Eligible {
		return Candidate{}, errorf(ineligibleCode(c), "disk %s matches %s %s but cannot be installed to: %s", c.Describe(), what, sel.Value, strings.Join(c.Reasons, "; "))
	}
	return c, nil
}

func matches(c Candidate, sel answers.Selector) bool {
	d := c.Disk
	switch sel.Kind {
	case answers.SelectSerial:
		s := strings.TrimSpace(d.Serial)
		return s != "" && (s == sel.Value || udevString(s) == sel.Value)
	case answers.SelectWWN:
		w := canonWWN(d.WWN)
		return w != "" && w == canonWWN(sel.Value)
	case answers.SelectByID:
		return contains(c.ByID, sel.Value)
	}
	return false
}

// canonWWN puts the sysfs "naa.<hex>" form and udev's "0x<hex>" form
// of a WWN into one form.
func canonWWN(w string) string {
	w = answers.NormalizeWWN(w)
	if rest, ok := strings.CutPrefix(w, "naa."); ok {
		return "0x" + rest
	}
	return w
}

// ineligibleCode prefers the most specific code among c's reasons.
func ineligibleCode(c Candidate) errcode.Code {
	if len(c.Reasons) == 1 && len(c.Codes) == 1 {
		return c.Codes[0]
	}
	return errcode.DiskIneligible
}

func noEligible(cands []Candidate) *Error {
	code := errcode.NoDisk
	allSmall := true
	parts := make([]string, len(cands))
	for i, c := range cands {
		parts[i] = fmt.Sprintf("%s: %s", c.Describe(), strings.Join(c.Reasons, "; "))
		if ineligibleCode(c) != errcode.DiskTooSmall {
			allSmall = false
		}
	}
	if allSmall {
		code = errcode.DiskTooSmall
	}
	return errorf(code, "no eligible disk: %s", strings.Join(parts, "; "))
}

func list(cs []Candidate) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.Describe()
	}
	return strings.Join(s, "; ")
}

// Confirm decides whether installing to c may go ahead. An ineligible
// disk never may. A disk with data (partitions or signatures) needs
// wipe: true from the answers file (unattended), or typed, the
// confirmation the user typed, equal to the disk's serial or short id
// (interactive; case and surrounding space are ignored).
func Confirm(c Candidate, wipe bool, typed string) error {
	if !c.Eligible {
		return errorf(ineligibleCode(c), "disk %s cannot be installed to: %s", c.Describe(), strings.Join(c.Reasons, "; "))
	}
	if !c.HasData || wipe {
		return nil
	}
	t := strings.TrimSpace(typed)
	if t != "" && (strings.EqualFold(t, c.ShortID) || c.Disk.Serial != "" && strings.EqualFold(t, strings.TrimSpace(c.Disk.Serial))) {
		return nil
	}
	what := c.DataSummary()
	if t == "" {
		return errorf(errcode.DiskHasData, "disk %s holds %s; set wipe: true in install.yaml or type %s to overwrite it", c.Describe(), what, c.ShortID)
	}
	return errorf(errcode.DiskHasData, "disk %s holds %s; typed %q does not match its id %s, nothing written", c.Describe(), what, t, c.ShortID)
}

// DataSummary says what the disk holds, e.g. "1 partition(s): gpt".
func (c Candidate) DataSummary() string {
	var parts []string
	if n := len(c.Disk.Partitions); n > 0 {
		parts = append(parts, fmt.Sprintf("%d partition(s)", n))
	}
	if len(c.Signatures) > 0 {
		parts = append(parts, strings.Join(c.Signatures, ", "))
	}
	if len(parts) == 0 {
		return "data"
	}
	return strings.Join(parts, ": ")
}
