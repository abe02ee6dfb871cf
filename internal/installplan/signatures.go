package installplan

import (
	"io"

	"github.com/plinth-os/plinth/internal/probe"
)

// SigGPTBackup is what DetectSignatures reports for a GPT found only from
// its backup header, which blkid does not report; every other name is
// probe's, which is how blkid spells TYPE and PTTYPE.
const SigGPTBackup = "gpt-backup"

// DetectSignatures probes a disk or partition of size bytes and names the
// partition tables, filesystems and volumes it holds, in probe's order. A
// read error ends nothing: what could be read is reported, since an
// unreadable disk is judged by its other facts. An empty result means the
// installer found nothing it would destroy; it is not proof that the disk
// is blank.
func DetectSignatures(r io.ReaderAt, size int64) []string {
	found, _ := probe.Probe(r, size)
	return signatureNames(found)
}

func signatureNames(found []probe.Finding) []string {
	var names []string
	for _, f := range found {
		if f.Name == probe.GPT && f.Backup {
			names = append(names, SigGPTBackup)
			continue
		}
		names = append(names, f.Name)
	}
	return names
}
