package installplan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/sbenroll"
)

// The plan shows what the install does about Secure Boot: by default
// nothing, and with an enrollment each write in order.
func TestPlanSecureBoot(t *testing.T) {
	d := testDisks()[0]
	p := planFor(t, d, "disk: largest\n", "seed")
	b, _ := p.JSON()
	if !strings.Contains(string(b), `"secureBoot":{"policy":"off",`) || !strings.Contains(string(b), `"enroll":false`) || p.SecureBoot.Enroll {
		t.Errorf("default plan: %s", b)
	}

	enroll := sbenroll.Decision{Policy: answers.SecureBootEnrollIfSetupMode, SetupMode: true, Keys: true, Enroll: true, MicrosoftKeys: true,
		Writes: []sbenroll.Write{{Variable: "db", File: "db-microsoft.auth", Attributes: 0x67, Append: true}, {Variable: "KEK"}, {Variable: "PK"}},
		Note:   "enrolled"}
	a, _ := answers.Parse([]byte("disk: largest\nsecure-boot: enroll-if-setup-mode\n"))
	c := Candidates([]disk.Disk{d}, Facts{}, DefaultRequirements())[0]
	req := Request{Target: c, Answers: a, Product: "Plinth", Version: "1", RuntimeUKISize: 40 << 20, SecureBoot: enroll}
	p, err := MakePlan(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = p.JSON()
	var back struct {
		SecureBoot sbenroll.Decision `json:"secureBoot"`
	}
	if err := json.Unmarshal(b, &back); err != nil || !back.SecureBoot.Enroll || len(back.SecureBoot.Writes) != 3 ||
		back.SecureBoot.Writes[0].File != "db-microsoft.auth" || back.SecureBoot.Writes[0].Attributes != 0x67 {
		t.Errorf("plan with enrollment: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), `"writes":[{"variable":"db","vendor":`) {
		t.Errorf("writes not in the plan's JSON: %s", b)
	}

	// A decision for another policy than the answers' is a bug, never a plan.
	req.Answers, _ = answers.Parse([]byte("disk: largest\n"))
	if _, err := MakePlan(req); Code(err) != errcode.Internal || !strings.Contains(err.Error(), "the answers say off") {
		t.Errorf("mismatched decision: %v", err)
	}
}
