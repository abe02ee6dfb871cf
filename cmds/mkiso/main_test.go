package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(config) bool
		wantErr string
	}{
		{"defaults", nil, map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}, func(c config) bool {
			return c.ISOPath == "out/plinth-installer.iso" && c.UKIPath == filepath.Join("out", "plinth-installer.efi") &&
				c.Epoch.Equal(time.Unix(1700000000, 0)) && strings.Contains(c.Cmdline, "console=")
		}, ""},
		{"output dir sets UKI path", []string{"-o", "/tmp/x/a.iso"}, nil, func(c config) bool { return c.UKIPath == "/tmp/x/plinth-installer.efi" }, ""},
		{"epoch flag", []string{"-source-date-epoch", "0"}, nil, func(c config) bool { return c.Epoch.Year() == 1980 }, ""},
		{"bad epoch", []string{"-source-date-epoch", "yesterday"}, nil, nil, "not a number"},
		{"stray argument", []string{"foo"}, nil, nil, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("config %+v", cfg)
			}
		})
	}
}

func TestHelpDocumentsFlags(t *testing.T) {
	var out bytes.Buffer
	_, err := parseFlags([]string{"-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want ErrHelp", err)
	}
	for _, f := range []string{"-o", "-kernel", "-runtime-kernel", "-cmdline", "-stub", "-kernel-src", "-source-date-epoch", "-brand", "-product", "-update-key", "-update-channel", "-new-update-key", "-answers-url", "-report-url", "-answers-ca"} {
		if !strings.Contains(out.String(), "  "+f+" ") && !strings.Contains(out.String(), "  "+f+"\n") {
			t.Errorf("help lacks %s:\n%s", f, out.String())
		}
	}
}

func TestKernelRelease(t *testing.T) {
	bz := make([]byte, 0x1000)
	copy(bz[0x202:], "HdrS")
	bz[0x20E] = 0x00
	bz[0x20F] = 0x02 // string at 0x200 + 0x200
	copy(bz[0x400:], "6.1.158-plinth (root@build) #1\x00")
	got, err := kernelRelease(bz)
	if err != nil || got != "6.1.158-plinth" {
		t.Errorf("kernelRelease = %q, %v", got, err)
	}
	if _, err := kernelRelease([]byte("MZ not a kernel")); err == nil {
		t.Error("kernelRelease accepted garbage")
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4G", 4 << 30, true}, {"512M", 512 << 20, true}, {"1T", 1 << 40, true}, {"8589934592", 8 << 30, true},
		{"16k", 16 << 10, true}, {"", 0, false}, {"G", 0, false}, {"-1G", 0, false}, {"4GB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestLoadPayloads(t *testing.T) {
	p, err := loadPayloads(nil)
	if err != nil || len(p) != 1 || p[0].GoPkg != demoPayload {
		t.Fatalf("default payloads = %+v, %v", p, err)
	}
	svcs := legacyServices(p)
	if svcs[0].Exec != "/bbin/plinth-demo" || svcs[0].User != "root" {
		t.Errorf("demo service exec %q", svcs[0].Exec)
	}
	script := filepath.Join(t.TempDir(), "notelf")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	if _, err := loadPayloads([]string{script}); err == nil || !strings.Contains(err.Error(), "not an ELF") {
		t.Errorf("shell script payload: err = %v", err)
	}
	if _, err := loadPayloads([]string{"example.com/a/db", "example.com/b/db"}); err == nil {
		t.Error("two payloads named db accepted")
	}
	if _, err := loadPayloads([]string{"/bin/ls"}); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("dynamic payload: err = %v", err)
	}
}

func TestMissingInputsSayWhatToInstall(t *testing.T) {
	err := build(context.Background(), config{Stub: "/nonexistent/linuxx64.efi.stub"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "apt-get install systemd-boot-efi") {
		t.Errorf("missing stub: %v", err)
	}
}

func TestAnswersValidatedAtBuild(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("disk: largest\nwipe: false\nafter: poweroff\n"), 0o644)
	os.WriteFile(bad, []byte("disk: largest\nwipe: perhaps\n"), 0o644)
	cfg, err := parseFlags([]string{"-answers", good}, io.Discard)
	if err != nil || len(cfg.Answers) == 0 {
		t.Errorf("good answers: %v", err)
	}
	_, err = parseFlags([]string{"-answers", bad}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), ":2:") || !strings.Contains(err.Error(), "wipe") {
		t.Errorf("bad answers: err = %v, want line 2 and field wipe", err)
	}
}
