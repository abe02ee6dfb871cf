package efivar

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/plinth-os/plinth/internal/guid"
)

// ParseDevicePath reads back the text form String gives for the nodes
// of a disk boot path: HD(n,GPT,<PARTUUID>,<start>,<size>) and
// File(<path>), separated by "/". Other nodes are refused: their text
// does not say everything their encoding holds.
func ParseDevicePath(s string) (DevicePath, error) {
	var dp DevicePath
	for rest := s; rest != ""; {
		end := strings.Index(rest, ")")
		if end < 0 {
			return nil, fmt.Errorf("efivar: device path %q: node %q has no closing parenthesis", s, rest)
		}
		n, err := parseNode(rest[:end+1])
		if err != nil {
			return nil, fmt.Errorf("efivar: device path %q: %w", s, err)
		}
		dp = append(dp, n)
		rest = rest[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, "/") || rest == "/" {
				return nil, fmt.Errorf("efivar: device path %q: want / between nodes", s)
			}
			rest = rest[1:]
		}
	}
	if len(dp) == 0 {
		return nil, fmt.Errorf("efivar: empty device path")
	}
	return dp, nil
}

// parseNode reads one node, "Name(args)".
func parseNode(s string) (Node, error) {
	name, args, ok := strings.Cut(strings.TrimSuffix(s, ")"), "(")
	if !ok {
		return nil, fmt.Errorf("node %q: want Name(arguments)", s)
	}
	switch name {
	case "File":
		if args == "" {
			return nil, fmt.Errorf("node %q: empty path", s)
		}
		return FilePath{Path: args}, nil
	case "HD":
		return parseGPTHardDrive(s, strings.Split(args, ","))
	}
	return nil, fmt.Errorf("node %q: only HD(...,GPT,...) and File(...) are read", s)
}

// parseGPTHardDrive reads the arguments of HD(n,GPT,guid,start,size).
func parseGPTHardDrive(s string, f []string) (Node, error) {
	if len(f) != 5 || f[1] != "GPT" {
		return nil, fmt.Errorf("node %q: want HD(number,GPT,guid,start,size)", s)
	}
	num, err := strconv.ParseUint(f[0], 0, 32)
	if err != nil {
		return nil, fmt.Errorf("node %q: partition number: %w", s, err)
	}
	id, err := guid.Parse(f[2])
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", s, err)
	}
	start, err := strconv.ParseUint(f[3], 0, 64)
	if err != nil {
		return nil, fmt.Errorf("node %q: start: %w", s, err)
	}
	size, err := strconv.ParseUint(f[4], 0, 64)
	if err != nil {
		return nil, fmt.Errorf("node %q: size: %w", s, err)
	}
	return GPTHardDrive(uint32(num), start, size, id), nil
}
