package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/syncwave/syncwave/argocd"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// The plan record: one ConfigMap that the plugin adds to its output so that
// the "Sync plan" view of Argo CD's UI can read the plan (the steps, their
// reasons and what each wave waits for) through Argo CD's own API, with the
// user's session, like Helm keeps its release in a Secret and kapp its app
// in a ConfigMap.
//
// It must not change the sync of the user's resources:
//   - it sits in the Sync phase, in the first wave that already has a
//     resource (or in wave 0 when the sync has no Sync-phase resource), so it
//     adds no wave; a ConfigMap has no health check, so it gates nothing;
//   - when the destination Namespace is part of the output, it is not put in
//     front of it (the engine would move the Namespace to the record's wave);
//   - it holds nothing that changes without the plan changing (no revision,
//     no time), so a commit that leaves the plan alone leaves the record
//     alone, and a changed reason changes this one object only.
const (
	// RecordLabel marks the record (value "true"): the view finds it by it.
	RecordLabel = "syncwave.io/plan-record"
	// RecordKey is the data key holding the plan, as plan -o json prints
	// it, compacted.
	RecordKey = "plan.json"
	// RecordLimit is the most plan JSON a record holds: a ConfigMap's data
	// may not exceed 1 MiB, and the object has metadata besides.
	RecordLimit = 1000 << 10
)

// RecordName is the record's name for an Application (ARGOCD_APP_NAME, which
// may be "<namespace>_<name>"): "<name>-syncwave-plan", or "syncwave-plan"
// for none. Argo CD's Application names are DNS subdomains, so the result is
// one too when it fits 253 characters; longer ones are cut.
func RecordName(app string) string {
	if _, after, ok := strings.Cut(app, "_"); ok {
		app = after
	}
	const suffix = "syncwave-plan"
	if app == "" {
		return suffix
	}
	name := app + "-" + suffix
	if len(name) > 253 {
		name = strings.TrimRight(app[:253-len(suffix)-1], ".-") + "-" + suffix
	}
	return name
}

// RecordWave is the wave the record is synced in: the lowest wave of the
// Sync phase (not below a Namespace named namespace that the plan creates
// in that phase), else 0.
func (p *Plan) RecordWave(namespace string) int {
	wave, found := 0, false
	for _, s := range p.Steps {
		if s.Phase != argocd.PhaseSync || s.Hook {
			continue
		}
		if !found || s.Wave < wave {
			wave, found = s.Wave, true
		}
	}
	for _, s := range p.Steps {
		if s.Phase == argocd.PhaseSync && !s.Hook && s.Kind == "Namespace" && s.APIVersion == "v1" && namespace != "" && s.Name == namespace && s.Wave > wave {
			wave = s.Wave
		}
	}
	return wave
}

// Record returns the plan record for the Application app, whose destination
// namespace is namespace, as one YAML document. The ConfigMap carries no
// namespace: Argo CD puts it in the destination namespace. A plan whose JSON
// exceeds RecordLimit is left out of the record, which then says so in its
// "note" key; the second result is that note ("" when the plan is in).
func (p *Plan) Record(app, namespace string) ([]byte, string, error) {
	var js bytes.Buffer
	if err := p.WriteJSON(&js); err != nil {
		return nil, "", err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, js.Bytes()); err != nil {
		return nil, "", fmt.Errorf("plan record: %w", err)
	}
	data := map[string]string{}
	note := ""
	if compact.Len() > RecordLimit {
		note = fmt.Sprintf("the plan is %d bytes of JSON, more than the %d a ConfigMap can hold: the Sync plan view shows the waves from the annotations only", compact.Len(), RecordLimit)
		data["note"] = note
	} else {
		data[RecordKey] = compact.String()
	}
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name": RecordName(app),
			"labels": map[string]string{
				RecordLabel:                    "true",
				"app.kubernetes.io/managed-by": "syncwave",
			},
			"annotations": map[string]string{
				argocd.AnnotationSyncWave: strconv.Itoa(p.RecordWave(namespace)),
			},
		},
		"data": data,
	}
	b, err := yaml.Marshal(cm)
	if err != nil {
		return nil, "", fmt.Errorf("plan record: %w", err)
	}
	return b, note, nil
}
