package main

import (
	"github.com/plinth-os/plinth/internal/background"
	"github.com/plinth-os/plinth/internal/install"
)

// lookAhead is the wizard's look at the disks, taken while the installer
// searches for answers: each reads every disk, a tenth of a second or
// more under emulation, and the first screen waited for both.
type lookAhead struct {
	look   *background.Job
	survey install.Survey // once look is done
}

func startLookAhead(env install.Env) *lookAhead {
	l := &lookAhead{}
	l.look = background.Go(func() (err error) {
		l.survey, err = install.Look(env)
		return err
	})
	return l
}

// dropLookAhead waits for the look ahead, if any, and forgets it: an
// unattended install is to start, which looks for itself, and may write.
func (a *app) dropLookAhead() {
	if a.ahead != nil {
		a.ahead.look.Wait()
		a.ahead = nil
	}
}

// survey is the disks as the wizard starts: the look taken ahead if
// nothing can have changed them since (no unattended install was tried,
// and sysfs shows the same disks: a USB stick may have appeared while
// the answers search waited for it), else a new look.
func (a *app) survey() (install.Survey, error) {
	if l := a.ahead; l != nil {
		a.ahead = nil
		if l.look.Wait() == nil && l.survey.Unchanged(a.env) {
			return l.survey, nil
		}
	}
	return install.Look(a.env)
}
