package plan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/manifest"
)

func TestComputeWaits(t *testing.T) {
	res, err := manifest.Decode("in.yaml", []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  annotations: {argocd.argoproj.io/sync-wave: "-1"}
spec: {group: example.com, names: {kind: Widget}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  annotations: {argocd.argoproj.io/sync-wave: "-1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: notify
  annotations: {argocd.argoproj.io/hook: SyncFail}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: smoke
  annotations: {argocd.argoproj.io/hook: PostSync}
`), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v3 := health.For(argocd.V3_5)
	for _, tc := range []struct {
		table *health.Table
		want  []string // per gate: "next: waiting/members"
	}{
		{health.For(argocd.V2_14), []string{"Sync 0: 0/2", "PostSync 0: 1/1"}},
		{v3, []string{"Sync 0: 1/2", "PostSync 0: 1/1"}},
	} {
		p := Compute(res, nil)
		p.ComputeWaits(tc.table, nil)
		var got []string
		for _, g := range p.Waits.Gates {
			got = append(got, string(g.NextPhase)+" "+itoa(g.NextWave)+": "+itoa(len(g.Waiting()))+"/"+itoa(len(g.Members)))
		}
		if strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
			t.Errorf("%s: gates %v, want %v (the SyncFail wave gates nothing)", tc.table.Line, got, tc.want)
		}
		var mmd, dot, table bytes.Buffer
		if err := p.WriteMermaid(&mmd); err != nil {
			t.Fatal(err)
		}
		if err := p.WriteDot(&dot); err != nil {
			t.Fatal(err)
		}
		if err := p.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(mmd.String(), `-. on failure .->`) || strings.Count(mmd.String(), `-->|"waits for`) != 2 {
			t.Errorf("%s: mermaid links:\n%s", tc.table.Line, mmd.String())
		}
		if strings.Count(dot.String(), `label="waits for`) != 2 {
			t.Errorf("%s: dot links:\n%s", tc.table.Line, dot.String())
		}
		if !strings.Contains(table.String(), "HEALTH (Argo CD "+tc.table.Line+")") {
			t.Errorf("%s: table:\n%s", tc.table.Line, table.String())
		}
	}
}
