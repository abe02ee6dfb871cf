package answers

import "sort"

// Modes, the values of mode:.
const (
	ModeInstall = "install"
	ModeUpgrade = "upgrade"
)

// Upgrade reports whether the answers ask for an upgrade in place
// (mode: upgrade) rather than an install.
func (a *Answers) Upgrade() bool { return a.Mode == ModeUpgrade }

// upgradeRefuses are the keys an upgrade refuses, each with the reason:
// they describe a new installation, and an upgrade keeps the one there.
var upgradeRefuses = map[string]string{
	"wipe":           "mode: upgrade never erases the disk: it keeps the installation's data partition; remove wipe:",
	"data-size":      "mode: upgrade keeps the installation's data partition as it is; remove data-size:",
	"hostname":       "mode: upgrade keeps the machine's own hostname; remove hostname:",
	"network":        "mode: upgrade keeps the machine's own network configuration; remove network:",
	"settings":       "mode: upgrade keeps the machine's own settings; remove settings:",
	"secure-boot":    "mode: upgrade enrolls no Secure Boot keys (the firmware keeps the ones it has); remove secure-boot: or set it to off",
	"microsoft-keys": "mode: upgrade enrolls no Secure Boot keys, so microsoft-keys: has nothing to decide; remove microsoft-keys:",
}

func mode(v node) (string, error) {
	s, err := str(v, "mode")
	if err != nil {
		return "", err
	}
	if s != ModeInstall && s != ModeUpgrade {
		return "", fieldErr(v, "mode", "want install or upgrade, got %q", s)
	}
	return s, nil
}

// checkMode refuses, under mode: upgrade, the first key (in file order)
// that only an install uses; keys maps each key given to its node.
// secure-boot: off is allowed: it asks for nothing.
func (a *Answers) checkMode(keys map[string]node) error {
	if !a.Upgrade() {
		return nil
	}
	var bad []node
	for name, k := range keys {
		if upgradeRefuses[name] == "" || (name == "secure-boot" && a.SecureBoot == SecureBootOff) {
			continue
		}
		bad = append(bad, k)
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].line < bad[j].line })
	return fieldErr(bad[0], bad[0].value, "%s", upgradeRefuses[bad[0].value])
}
