// Package step names the stages of an installation. The installer's
// "progress" events, the disk writer (internal/provision), the install
// itself (internal/install) and the screens (internal/wizard) all take
// the names, labels and progress ranges from the one table here, so a
// step added in one place cannot be missing from another.
package step

import "fmt"

// Name is a step as the "progress" event's "step" field carries it.
type Name string

// Steps in the order an install runs them.
const (
	// Starting is shown from the confirmation until the installer
	// reports its first step; it is never in an event.
	Starting   Name = "starting"
	Discover   Name = "discover"    // the disks are looked at again
	Plan       Name = "plan"        // the layout is computed
	FormatESP  Name = "format-esp"  // the EFI system partition is written, files included
	FormatData Name = "format-data" // the data partition gets its ext4 filesystem
	Partition  Name = "partition"   // the GPT is written, last
	Sync       Name = "sync"        // the disk's caches are flushed
	BootEntry  Name = "boot-entry"  // the UEFI Boot#### entry is created and put first
	Verify     Name = "verify"      // everything written is read back and compared
	SecureBoot Name = "secure-boot" // Secure Boot keys are enrolled: db, KEK, then PK (only when the plan says so)
	Done       Name = "done"        // the install has finished
)

// Step is one stage with what people see and how far along the whole
// install it is: the progress bar moves from From to To percent while
// the step runs (From == To for steps without measurable work).
type Step struct {
	Name     Name
	Label    string
	From, To int
}

// All returns every step in the order an install runs them.
func All() []Step {
	return []Step{
		{Starting, "Starting", 0, 0},
		{Discover, "Looking at the disks", 0, 0},
		{Plan, "Planning the layout", 5, 5},
		{FormatESP, "Writing the EFI system partition", 10, 60},
		{FormatData, "Formatting the data partition", 60, 70},
		{Partition, "Writing the partition table", 70, 72},
		{Sync, "Flushing to disk", 74, 74},
		{BootEntry, "Creating the boot entry", 80, 80},
		{Verify, "Verifying what was written", 90, 90},
		{SecureBoot, "Enrolling the Secure Boot keys", 95, 95},
		{Done, "Done", 100, 100},
	}
}

// Lookup returns the step called n.
func Lookup(n Name) (Step, bool) {
	for _, s := range All() {
		if s.Name == n {
			return s, true
		}
	}
	return Step{}, false
}

// Label names the step for people; an unknown step shows its name.
func (n Name) Label() string {
	if s, ok := Lookup(n); ok {
		return s.Label
	}
	return string(n)
}

// Percent is how far the whole install is when done of total units of
// the step's work are through (total 0: at the step's start).
func (s Step) Percent(done, total int64) int {
	if total <= 0 || s.To == s.From {
		return s.From
	}
	frac := min(1, float64(max(0, done))/float64(total))
	return s.From + int(float64(s.To-s.From)*frac)
}

// UnmarshalText accepts only the names in All, so that decoding an event
// checks its step.
func (n *Name) UnmarshalText(b []byte) error {
	if _, ok := Lookup(Name(b)); !ok {
		return fmt.Errorf("step: unknown step %q", b)
	}
	*n = Name(b)
	return nil
}
