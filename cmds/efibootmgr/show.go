package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/plinth-os/plinth/internal/efivar"
)

// show prints the boot variables the way efibootmgr does:
//
//	BootNext: 0003
//	BootCurrent: 0001
//	Timeout: 3 seconds
//	BootOrder: 0003,0001,0000
//	Boot0000* UiApp
//	Boot0003* Plinth	HD(1,GPT,...,0x800,0x100000)/File(\EFI\plinth\plinth.efi)
//
// The device path (after a tab) only with verbose; '*' marks active entries.
func show(w io.Writer, s efivar.Store, verbose bool) error {
	for _, v := range []struct {
		name   string
		read   func(efivar.Store) (uint16, error)
		format string
	}{
		{"BootNext", efivar.ReadBootNext, "BootNext: %04X\n"},
		{"BootCurrent", efivar.ReadBootCurrent, "BootCurrent: %04X\n"},
		{"Timeout", efivar.ReadTimeout, "Timeout: %d seconds\n"},
	} {
		n, err := v.read(s)
		switch {
		case err == nil:
			fmt.Fprintf(w, v.format, n)
		case !errors.Is(err, efivar.ErrNotFound):
			return err
		}
	}

	order, err := efivar.ReadBootOrder(s)
	switch {
	case errors.Is(err, efivar.ErrNotFound):
		fmt.Fprintln(w, "No BootOrder is set; firmware will attempt recovery")
	case err != nil:
		return err
	default:
		nums := make([]string, len(order))
		for i, n := range order {
			nums[i] = fmt.Sprintf("%04X", n)
		}
		fmt.Fprintf(w, "BootOrder: %s\n", strings.Join(nums, ","))
	}

	entries, err := efivar.ListBootEntries(s)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := efivar.BootOptionName(e.Num)
		if e.Option == nil {
			fmt.Fprintf(w, "%s  (cannot decode: %v)\n", name, e.Err)
			continue
		}
		mark := ' '
		if e.Option.Active() {
			mark = '*'
		}
		fmt.Fprintf(w, "%s%c %s", name, mark, e.Option.Description)
		if verbose {
			paths := make([]string, len(e.Option.FilePaths))
			for i, dp := range e.Option.FilePaths {
				paths[i] = dp.String()
			}
			fmt.Fprintf(w, "\t%s%s", strings.Join(paths, ","), rawText(e.Option.OptionalData))
		}
		fmt.Fprintln(w)
	}
	return nil
}

// rawText shows optional data as efibootmgr does: printable ASCII as is,
// anything else as a dot.
func rawText(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 0x20 && c < 0x7f {
			out[i] = c
		} else {
			out[i] = '.'
		}
	}
	return string(out)
}
