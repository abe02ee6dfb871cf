package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/datapart"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/setting"
)

// failure is a boot step that failed: shown to people, emitted as an
// "error" event for automation.
type failure struct {
	code    errcode.Code
	summary string // one line: what is wrong
	err     error  // details
	hint    string // what to do
}

func (f *failure) text() string {
	bar := strings.Repeat("=", 72)
	return fmt.Sprintf("%s\r\n%s\r\n\r\n%s\r\n\r\nWhat to do: %s\r\nThe system stays up showing this message; press the power button to turn it off.\r\n%s",
		bar, f.summary, details(f.err), f.hint, bar)
}

// details puts each problem of an invalid config or product file, and
// each of several errors, on its own line.
func details(err error) string {
	var ve *appconfig.ValidationError
	var pe *productspec.ValidationError
	var problems []string
	var whole string
	switch {
	case errors.As(err, &ve):
		problems, whole = ve.Problems, ve.Error()
	case errors.As(err, &pe):
		problems, whole = pe.Problems, pe.Error()
	default:
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				problems = append(problems, e.Error())
			}
			whole = err.Error()
		}
	}
	if len(problems) < 2 {
		return strings.ReplaceAll(err.Error(), "\n", "\r\n")
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(err.Error(), whole))
	fmt.Fprintf(&b, "%d problems:", len(problems))
	for _, p := range problems {
		b.WriteString("\r\n  - " + p)
	}
	return b.String()
}

func (a *appliance) report(f *failure) {
	a.say("%s", f.text())
	a.events.Emit(event.Error{Code: f.code, Message: strings.TrimSuffix(f.summary, ".") + ": " + f.err.Error()})
}

func espFailure(err error) *failure {
	return &failure{
		code:    errcode.ESPNotFound,
		summary: "Cannot start: the EFI system partition this system boots from was not found.",
		err:     err,
		hint:    "check that the disk Plinth was installed on is attached and detected by the firmware; if it is, reinstall with the Plinth installer.",
	}
}

func configFailure(path string, err error) *failure {
	if errors.Is(err, fs.ErrNotExist) {
		return &failure{
			code:    errcode.ConfigMissing,
			summary: "Cannot start: the configuration " + appconfig.ESPPath + " is missing.",
			err:     err,
			hint:    "reinstall with the Plinth installer, or copy a valid plinth.json to " + appconfig.ESPPath + " on the EFI system partition from another computer.",
		}
	}
	return &failure{
		code:    errcode.ConfigInvalid,
		summary: "Cannot start: the configuration " + appconfig.ESPPath + " is not valid.",
		err:     err,
		hint:    "correct the fields listed above in " + appconfig.ESPPath + " on the EFI system partition (from another computer), or reinstall with the Plinth installer.",
	}
}

// productFailure: the runtime image's product file is missing or not
// valid, which only a broken build or image causes.
func productFailure(err error) *failure {
	return &failure{
		code:    errcode.Services,
		summary: "Cannot start: the runtime image's product file " + productspec.Path + " is missing or not valid.",
		err:     err,
		hint:    "this runtime image was not built correctly: rebuild it with mkiso, or start the other installed version from the firmware's boot menu.",
	}
}

// settingsFailure: this machine's settings do not fit the product's
// declarations (a value missing, of the wrong type, or undeclared).
func settingsFailure(spec *productspec.Spec, err error) *failure {
	var decl []string
	for _, d := range spec.Settings {
		decl = append(decl, fmt.Sprintf("%s (%s)", d.Name, d.Type))
	}
	if len(decl) == 0 {
		decl = []string{"none"}
	}
	what := "the settings listed above"
	var se *setting.Error
	if errors.As(err, &se) {
		what = fmt.Sprintf("setting %q and any other listed above", se.Setting)
	}
	return &failure{
		code:    errcode.ConfigInvalid,
		summary: fmt.Sprintf("Cannot start: the settings in %s do not fit %s %s.", appconfig.ESPPath, spec.Product, spec.Version),
		err:     err,
		hint: fmt.Sprintf("correct %s under \"settings\" in %s on the EFI system partition (from another computer), or reinstall with the Plinth installer. Settings of this version: %s.",
			what, appconfig.ESPPath, strings.Join(decl, ", ")),
	}
}

func dataFailure(d appconfig.Data, err error) *failure {
	want := describeData(d)
	switch {
	case errors.Is(err, datapart.ErrNotFound):
		return &failure{
			code:    errcode.DataPartitionMissing,
			summary: "Cannot start: the data partition (" + want + ") was not found.",
			err:     err,
			hint:    "attach the disk that holds the data partition; if it is lost, reinstall with the Plinth installer (which creates a new, empty data partition).",
		}
	case errors.Is(err, datapart.ErrAmbiguous):
		return &failure{
			code:    errcode.DataPartitionAmbiguous,
			summary: "Cannot start: more than one partition matches the data partition (" + want + ").",
			err:     err,
			hint:    "detach the extra disk, or wipe the leftover partition from an earlier installation.",
		}
	case errors.Is(err, datapart.ErrUnusable):
		return &failure{
			code:    errcode.DataPartitionUnusable,
			summary: "Cannot start: the filesystem on the data partition (" + want + ") cannot be used.",
			err:     err,
			hint:    "connect the disk to another Linux system and run e2fsck -f on the data partition, then boot again.",
		}
	}
	return &failure{
		code:    errcode.DataPartitionMount,
		summary: "Cannot start: the data partition (" + want + ") could not be mounted.",
		err:     err,
		hint:    "check the kernel messages above for the reason; the disk may be failing.",
	}
}

func describeData(d appconfig.Data) string {
	var s []string
	if !d.PartUUID.IsZero() {
		s = append(s, "PARTUUID "+d.PartUUID.String())
	}
	if d.Label != "" {
		s = append(s, fmt.Sprintf("label %q", d.Label))
	}
	return strings.Join(s, ", ")
}
