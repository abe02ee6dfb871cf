// Package netanswers gets the answers of an unattended install from a
// provisioning server, for fleets installed over the network: the
// installer is started by UEFI HTTP boot, and each machine fetches its
// own install.yaml by a URL that names it.
//
// # Where the answers come from
//
// The installer takes the first of these that exists:
//
//  1. install.yaml embedded in the image (mkiso --answers);
//  2. install.yaml on a FAT volume labelled PLINTHCFG (internal/answersvol);
//  3. the URL template in the SMBIOS OEM strings: plinth.answers-url=;
//  4. the URL template given at build time (plinth.yaml, mkiso flag);
//  5. none: the install is interactive.
//
// The OEM string comes before the build-time URL so that one image can
// serve several provisioning servers: firmware, a BMC or a hypervisor
// sets it per machine (QEMU: -smbios type=11,value=plinth.answers-url=...).
//
// # OEM strings
//
// SMBIOS structures of type 11, OEM Strings (DMTF DSP0134 3.x, §7.12),
// hold free-form strings; the kernel shows each structure, as the
// firmware wrote it, in /sys/firmware/dmi/entries/11-<n>/raw.
// ReadOEMStrings parses them (ParseStructures models the structure once:
// formatted area, then string set) and ParseOEM picks the strings
// plinth.answers-url=<template> and plinth.report-url=<template>; all
// other strings are the vendor's and are ignored.
//
// # URL templates
//
// A template is a URL in which ${mac}, ${uuid} and ${serial} are
// replaced (Expand):
//
//	https://prov.example.com/answers/${uuid}.yaml
//	http://10.0.0.1:8080/plinth/${mac}/install.yaml
//
// ${mac} is the MAC of each wired network interface, lower case,
// hyphenated (52-54-00-12-34-56): one URL per interface, in the order of
// the interfaces' names, each tried in turn. ${uuid} is the SMBIOS system
// UUID in lower case, ${serial} the system serial number; firmware
// placeholders ("To Be Filled By O.E.M.", an all-zero UUID) count as
// missing, since many machines share them. A template that needs a value
// the machine lacks is an error, as is any other ${name}. CheckTemplate
// checks a template without a machine, as the build does before it puts
// one into an image (package netinstall).
//
// # Fetching
//
// Fetch retries, with exponential backoff and jitter, for as long as the
// server has no answers for the machine (404, 410) or cannot answer
// (408, 429, 5xx, network errors), and says so through a callback that
// the installer shows ("no answers for this machine (uuid …, mac …) at
// <url>; retrying in 4s"), so that an operator can add the file while
// the machine waits. What waiting cannot mend is final: another 4xx, an
// untrusted certificate, and a malformed answers file, which is checked
// exactly like a local install.yaml (answers.Parse) and reported with
// its line and field before any disk is touched.
//
// Every request carries the header X-Plinth-Machine: <uuid> when the
// UUID is known.
package netanswers
