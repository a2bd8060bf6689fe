// Command genchart writes a large, deterministic Helm chart for benchmarks:
// hundreds of templates across a parent chart and subcharts, helm hooks,
// CRDs under crds/ and a syncwave.yaml with more than 20 groups. Usage:
//
//	go run ./hack/genchart -out /tmp/bigchart [-templates 300] [-subcharts 4]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "", "output directory (created)")
	templates := flag.Int("templates", 500, "templates in total")
	subcharts := flag.Int("subcharts", 4, "subcharts under charts/")
	crds := flag.Int("crds", 16, "CRDs in crds/")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genchart: -out is required")
		os.Exit(2)
	}
	if err := gen(*out, *templates, *subcharts, *crds); err != nil {
		fmt.Fprintln(os.Stderr, "genchart:", err)
		os.Exit(1)
	}
}

func write(p, s string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(s), 0o644)
}

const helpers = `{{- define "big.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}
`

func component(i int) string {
	return fmt.Sprintf(`{{- $c := index .Values.components %d }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ $c.name }}
  labels:
    {{- include "big.labels" . | nindent 4 }}
data:
  {{- range $k, $v := $c.settings }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-{{ $c.name }}
  labels:
    {{- include "big.labels" . | nindent 4 }}
spec:
  selector:
    app: {{ $c.name }}
  ports:
    - {name: http, port: 80, targetPort: {{ $c.port }}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-{{ $c.name }}
  labels:
    {{- include "big.labels" . | nindent 4 }}
spec:
  replicas: {{ $c.replicas }}
  selector:
    matchLabels: {app: {{ $c.name }}}
  template:
    metadata:
      labels: {app: {{ $c.name }}}
      annotations:
        checksum/config: {{ toYaml $c.settings | sha256sum }}
    spec:
      containers:
        - name: main
          image: "registry.example.org/{{ $c.name }}:{{ .Chart.AppVersion }}"
          ports: [{containerPort: {{ $c.port }}}]
          env:
            {{- range $k, $v := $c.settings }}
            - name: {{ $k | upper | replace "-" "_" }}
              value: {{ $v | quote }}
            {{- end }}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 512Mi}
`, i)
}

func hook(name, event string, weight int) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-%s
  annotations:
    helm.sh/hook: %s
    helm.sh/hook-weight: "%d"
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: %s, image: registry.example.org/tools:1.0}]
`, name, event, weight, name)
}

func crd(i int) string {
	var props strings.Builder
	for p := 0; p < 500; p++ {
		fmt.Fprintf(&props, "                field%03d:\n                  type: string\n                  description: Field %d of widget kind %d; a long description to make the schema as large as real operator CRDs are.\n", p, p, i)
	}
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets%d.big.example.org
spec:
  group: big.example.org
  names: {kind: Widget%d, plural: widgets%d}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
%s`, i, i, i, props.String())
}

func values(n int, prefix string) string {
	var b strings.Builder
	b.WriteString("components:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - name: %s%03d\n    port: %d\n    replicas: %d\n    settings:\n", prefix, i, 8000+i, 1+i%3)
		for k := 0; k < 32; k++ {
			fmt.Fprintf(&b, "      setting-%02d: \"value %d of component %d with some padding text\"\n", k, k, i)
		}
	}
	return b.String()
}

func chartDir(dir, name string, n int, prefix string, hooks bool) error {
	if err := write(filepath.Join(dir, "Chart.yaml"), fmt.Sprintf("apiVersion: v2\nname: %s\nversion: 1.0.0\nappVersion: \"3.1.4\"\nkubeVersion: \">=1.25.0-0\"\n", name)); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "values.yaml"), values(n, prefix)); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "templates", "_helpers.tpl"), helpers); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := write(filepath.Join(dir, "templates", fmt.Sprintf("component-%03d.yaml", i)), component(i)); err != nil {
			return err
		}
	}
	if hooks {
		for i, h := range []struct{ name, ev string }{{"db-migrate", "pre-install,pre-upgrade"}, {"cache-warm", "post-install,post-upgrade"}, {"smoke", "test"}, {"backup", "pre-upgrade"}, {"notify", "post-install"}} {
			if err := write(filepath.Join(dir, "templates", "hook-"+h.name+".yaml"), hook(h.name, h.ev, i-2)); err != nil {
				return err
			}
		}
	}
	return nil
}

func gen(out string, templates, subcharts, crds int) error {
	per := templates / (subcharts + 1)
	if err := chartDir(out, "bigchart", per, "c", true); err != nil {
		return err
	}
	for i := 0; i < crds; i++ {
		if err := write(filepath.Join(out, "crds", fmt.Sprintf("widgets%d.yaml", i)), crd(i)); err != nil {
			return err
		}
	}
	for s := 0; s < subcharts; s++ {
		name := fmt.Sprintf("sub%d", s)
		if err := chartDir(filepath.Join(out, "charts", name), name, per, name+"-", s == 0); err != nil {
			return err
		}
	}
	var b strings.Builder
	b.WriteString("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ngroups:\n  - {name: crds, select: [{kind: CustomResourceDefinition}]}\n  - {name: config, select: [{kind: ConfigMap}]}\n")
	prev := "config"
	for g := 0; g < 20; g++ {
		name := fmt.Sprintf("tier%02d", g)
		fmt.Fprintf(&b, "  - name: %s\n    select: [{kind: Deployment, name: \"*%02d\"}, {kind: Service, name: \"*%02d\"}]\n    after: [%s]\n    optional: true\n", name, g, g, prev)
		prev = name
	}
	b.WriteString("  - {name: migrate, select: [{kind: Job, name: \"*-db-migrate\"}], hook: PreSync}\n")
	return write(filepath.Join(out, "syncwave.yaml"), b.String())
}
