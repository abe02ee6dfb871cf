// Command efibootmgr manages UEFI boot entries like the efibootmgr of
// Linux distributions, for the subset Plinth needs: list (-v), create
// (-c -d -p -l -L), delete (-b -B), activate (-a/-A), BootOrder (-o/-O),
// BootNext (-n/-N) and Timeout (-t/-T). It works on efivarfs through
// internal/efivar, with no C library.
//
// Unlike efibootmgr, -c replaces an existing entry with the same label and
// loader path instead of adding a duplicate.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/plinth-os/plinth/internal/efivar"
)

// env is what run takes from the outside world, so that tests can run it
// against a store in a temporary directory.
type env struct {
	stdout    io.Writer
	openStore func() (efivar.Store, error)
}

func main() {
	e := env{
		stdout:    os.Stdout,
		openStore: func() (efivar.Store, error) { return efivar.OpenEfivarfs() },
	}
	if err := run(os.Args[1:], e); err != nil {
		fmt.Fprintf(os.Stderr, "efibootmgr: %v\n", err)
		os.Exit(1)
	}
}

// run carries out the options in efibootmgr's order: delete, (de)activate,
// create, BootOrder, BootNext, Timeout, then list unless -q.
func run(args []string, e env) error {
	o, err := parseArgs(args)
	if err != nil {
		return fmt.Errorf("%w (see efibootmgr -h)", err)
	}
	if o.help {
		usage(e.stdout)
		return nil
	}
	if o.version {
		fmt.Fprintln(e.stdout, "efibootmgr (Plinth, Go)")
		return nil
	}
	if err := o.check(); err != nil {
		return err
	}
	// Fail on a bad loader path before opening anything.
	if o.create {
		if o.loader, err = efivar.NormalizeLoaderPath(o.loader); err != nil {
			return err
		}
	}
	s, err := e.openStore()
	if err != nil {
		return err
	}
	if err := apply(s, o); err != nil {
		return err
	}
	if o.quiet {
		return nil
	}
	return show(e.stdout, s, o.verbose > 0)
}

func apply(s efivar.Store, o *options) error {
	name := efivar.BootOptionName(o.num)
	if o.delete {
		if err := efivar.DeleteBootEntry(s, o.num); err != nil {
			if errors.Is(err, efivar.ErrNotFound) {
				return fmt.Errorf("cannot delete %s: it does not exist", name)
			}
			return err
		}
	}
	if o.active != nil {
		if err := efivar.SetBootEntryActive(s, o.num, *o.active); err != nil {
			if errors.Is(err, efivar.ErrNotFound) {
				return fmt.Errorf("%s does not exist", name)
			}
			return err
		}
	}
	if o.create {
		if err := create(s, o); err != nil {
			return err
		}
	}
	if o.deleteOrder {
		if err := efivar.DeleteBootOrder(s); err != nil {
			return err
		}
	}
	if o.hasOrder {
		if err := mustExist(s, o.order...); err != nil {
			return fmt.Errorf("cannot set BootOrder: %w", err)
		}
		if err := efivar.WriteBootOrder(s, o.order); err != nil {
			return err
		}
	}
	if o.deleteBootNext {
		if err := efivar.DeleteBootNext(s); err != nil {
			return err
		}
	}
	if o.deleteTimeout {
		if err := efivar.DeleteTimeout(s); err != nil {
			return err
		}
	}
	if o.hasBootNext {
		if err := mustExist(s, o.bootNext); err != nil {
			return fmt.Errorf("cannot set BootNext: %w", err)
		}
		if err := efivar.SetBootNext(s, o.bootNext); err != nil {
			return err
		}
	}
	if o.hasTimeout {
		if err := efivar.SetTimeout(s, o.timeout); err != nil {
			return err
		}
	}
	return nil
}

// create makes the entry of -c: with -b at that number (which must be
// free), otherwise through EnsureBootEntry so that a second run with the
// same label and loader replaces the first entry.
func create(s efivar.Store, o *options) error {
	hd, err := hardDriveFromDisk(o.disk, o.part)
	if err != nil {
		return err
	}
	dp, err := efivar.DiskBootPath(hd, o.loader)
	if err != nil {
		return err
	}
	if !o.hasNum {
		_, err := efivar.EnsureBootEntry(s, o.label, dp)
		return err
	}
	opt, err := efivar.NewBootOption(o.label, dp)
	if err != nil {
		return err
	}
	return efivar.CreateBootEntryAt(s, o.num, opt)
}

// mustExist checks that each Boot#### in nums exists, as efibootmgr does
// for -o and -n: firmware silently skips entries that do not.
func mustExist(s efivar.Store, nums ...uint16) error {
	for _, n := range nums {
		if _, _, err := s.Get(efivar.BootOptionName(n), efivar.GlobalVariable); err != nil {
			if errors.Is(err, efivar.ErrNotFound) {
				return fmt.Errorf("%s does not exist", efivar.BootOptionName(n))
			}
			return err
		}
	}
	return nil
}
