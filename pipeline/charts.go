package pipeline

import (
	"encoding/json"
	"fmt"
	"path"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/render"
)

// chartMeta is what subchart sequencing (HIP-0025) reads from Chart.yaml,
// decoded as Helm decodes it (sigs.k8s.io/yaml).
type chartMeta struct {
	Name         string            `json:"name"`
	Annotations  map[string]string `json:"annotations"`
	Dependencies []struct {
		Name      string   `json:"name"`
		Alias     string   `json:"alias"`
		DependsOn []string `json:"depends-on"`
	} `json:"dependencies"`
}

// chartOrders reads the subchart ordering of the chart at dir (root-
// relative) and of its unpacked subcharts: the depends-on lists of
// Chart.yaml dependencies and the helm.sh/depends-on/subcharts annotation.
// Rendered resources name their chart by source path, so scope is the
// chart's name for the top chart and <parent>/charts/<alias or name> below.
// A Chart.yaml that cannot be read adds nothing: rendering reports it.
func chartOrders(root *render.Root, dir, scope string, depth int, warn func(string)) []annotate.ChartOrder {
	file := path.Join(dir, "Chart.yaml")
	data, err := root.ReadFile(file)
	if err != nil || depth > 10 {
		return nil
	}
	var m chartMeta
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil
	}
	if scope == "" {
		scope = m.Name
	}
	co := annotate.ChartOrder{File: file, Scope: scope, Subcharts: map[string]string{}}
	for i, d := range m.Dependencies {
		name := d.Name
		if d.Alias != "" {
			name = d.Alias
		}
		co.Subcharts[name] = scope + "/charts/" + name
		for j, dep := range d.DependsOn {
			co.DependsOn = append(co.DependsOn, annotate.ChartEdge{
				From: dep, To: name, Path: fmt.Sprintf("dependencies[%d].depends-on[%d]", i, j),
			})
		}
	}
	if v, ok := m.Annotations[annotate.HelmDependsOnSubcharts]; ok && v != "" {
		var names []string
		if err := json.Unmarshal([]byte(v), &names); err != nil {
			warn(fmt.Sprintf("%s: annotations[%q]: %q is not a JSON array of subchart names; ignored", file, annotate.HelmDependsOnSubcharts, v))
		}
		co.ParentDependsOn = names
	}
	out := []annotate.ChartOrder{co}
	for _, d := range m.Dependencies {
		name := d.Name
		if d.Alias != "" {
			name = d.Alias
		}
		// Unpacked subcharts only; an archive's own ordering is not read.
		if _, err := root.Stat(path.Join(dir, "charts", d.Name, "Chart.yaml")); err == nil {
			out = append(out, chartOrders(root, path.Join(dir, "charts", d.Name), scope+"/charts/"+name, depth+1, warn)...)
		}
	}
	return out
}
