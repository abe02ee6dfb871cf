package installplan

import (
	"encoding/json"
	"fmt"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/provision"
)

// The plan's JSON is an interface (installer --plan, the "plan" event,
// the README): these keep its field names and text forms while the Go
// values are the GPT's and UEFI's own types.

// partJSON is a PlanPart in JSON.
type partJSON struct {
	Number     int                  `json:"number"`
	Name       string               `json:"name"` // GPT partition name (PARTLABEL)
	TypeGUID   guid.GUID            `json:"typeGuid"`
	UniqueGUID guid.GUID            `json:"uniqueGuid"` // PARTUUID
	FirstLBA   uint64               `json:"firstLba"`
	LastLBA    uint64               `json:"lastLba"`
	SizeBytes  int64                `json:"sizeBytes"`
	Filesystem provision.Filesystem `json:"filesystem"`
	Label      string               `json:"label"` // filesystem label
}

// MarshalJSON writes p with the plan's field names.
func (p PlanPart) MarshalJSON() ([]byte, error) {
	return json.Marshal(partJSON{
		Number: p.Number, Name: p.Name, TypeGUID: p.Type, UniqueGUID: p.GUID, FirstLBA: p.FirstLBA, LastLBA: p.LastLBA,
		SizeBytes: p.SizeBytes, Filesystem: p.Filesystem, Label: p.Label,
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *PlanPart) UnmarshalJSON(b []byte) error {
	var j partJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = PlanPart{
		Partition: gpt.Partition{Number: j.Number, Type: j.TypeGUID, GUID: j.UniqueGUID, FirstLBA: j.FirstLBA, LastLBA: j.LastLBA, Name: j.Name},
		SizeBytes: j.SizeBytes, Filesystem: j.Filesystem, Label: j.Label,
	}
	return nil
}

// bootJSON is a PlanBoot in JSON: the device path in its UEFI text form.
type bootJSON struct {
	Label        string `json:"label"`
	LoaderPath   string `json:"loaderPath"`
	FallbackPath string `json:"fallbackPath"`
	DevicePath   string `json:"devicePath"` // HD(1,GPT,...)/File(...)
	SecondStage  string `json:"secondStage,omitempty"`
}

// MarshalJSON writes b with the device path as text.
func (b PlanBoot) MarshalJSON() ([]byte, error) {
	return json.Marshal(bootJSON{Label: b.Label, LoaderPath: b.LoaderPath, FallbackPath: b.FallbackPath, DevicePath: b.DevicePath.String(), SecondStage: b.SecondStage})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *PlanBoot) UnmarshalJSON(data []byte) error {
	var j bootJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	dp, err := efivar.ParseDevicePath(j.DevicePath)
	if err != nil {
		return fmt.Errorf("installplan: boot entry: %w", err)
	}
	*b = PlanBoot{Label: j.Label, LoaderPath: j.LoaderPath, FallbackPath: j.FallbackPath, DevicePath: dp, SecondStage: j.SecondStage}
	return nil
}
