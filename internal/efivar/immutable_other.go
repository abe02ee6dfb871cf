//go:build !linux

package efivar

import (
	"errors"
	"os"
)

// Only Linux has efivarfs; elsewhere the store works on plain directories
// (tests) and there is no immutable flag to handle.

type immutableState struct{}

func clearImmutable(*os.File) (*immutableState, error) { return &immutableState{}, nil }

func (*immutableState) restore() {}

func checkEfivarfs(string) error { return errors.New("efivarfs exists only on Linux") }
