package cmpserver

import (
	"strings"
	"testing"
)

// readingCases are single files of a directory source that Argo CD's
// reader (sigs.k8s.io/yaml: YAML 1.1, the last repeated key wins, merge keys
// resolved) reads in ways a YAML 1.2 reader does not. syncwave must produce
// exactly Argo CD's objects (less its own annotations), or both must fail.
// refused marks the documents syncwave refuses on purpose although Argo CD
// accepts them, with a part of syncwave's message.
var readingCases = []struct {
	name, file, content string
	refused             string
}{
	{name: "kind without apiVersion", file: "a.yaml", content: "kind: ConfigMap\nmetadata:\n  name: a\n"},
	{name: "kind without apiVersion in JSON", file: "a.json", content: `{"kind": "ConfigMap", "metadata": {"name": "a"}}`},
	{name: "apiVersion without kind", file: "a.yaml", content: "apiVersion: v1\nmetadata:\n  name: a\n"},
	{name: "apiVersion without kind in a manifest-looking file", file: "a.yaml", content: "apiVersion: v1\nmetadata:\n  name: a\ndata:\n  kind: x\n"},
	{name: "repeated name", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  name: last\n"},
	{name: "repeated metadata", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\nmetadata:\n  name: last\n"},
	{name: "repeated annotations", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    x: \"1\"\n  annotations:\n    y: \"2\"\n"},
	{name: "merge key in metadata", file: "a.yaml", content: "x: &b\n  annotations:\n    owner: team-a\n  labels:\n    app: web\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  <<: *b\n  name: a\n"},
	{name: "YAML 1.1 booleans in data", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: yes, b: on, c: off, d: 'yes', e: y, f: 0777}\n"},
	{name: "YAML 1.1 booleans in a List", file: "a.yaml", content: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data: {on: x, flag: yes}\n"},
	{name: "yes as a label key", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    yes: x\n"},
	{name: "lone CR line break", file: "a.yaml", content: "apiVersion: v1\rkind: Secret\nkind: ConfigMap\nmetadata:\n  name: a\r  namespace: team-a\n"},
	{name: "NEL line break", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\u0085  name: last\n"},
	{name: "quoted scalar at column 0", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: real\ndata:\n  x: 'one\nkind: Secret\nmetadata:\n  name: fake'\n"},
	{name: "null as a label key", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    null: x\n"},
	{name: "control byte in a name", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"a\x01\"\n"},
	// Block YAML that syncwave's strict fast reader reads without parsing
	// the parts it does not need, then faults in those parts.
	{name: "plain block YAML", file: "a.yaml", content: "# c\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        args:\n        - --port\n        - \"8080\"\n        env:\n        - name: A\n          value: 'x: y'\n        resources: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  on: yes\n  script: |\n    #!/bin/sh\n    echo: x\n\n  empty:\n  n: 1e400\n"},
	{name: "bad indentation in data", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b\n c: d\n"},
	{name: "mapping in a plain scalar in spec", file: "a.yaml", content: "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  type: a: b\n"},
	{name: "repeated key in data", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b\n  a: c\n"},
	{name: "infinity in data", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: .inf\n"},
	{name: "fault in the second document", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  a: [b\n"},
	// Single-line flow collections, which the strict fast reader checks
	// without parsing (validFlow), then faults in them.
	{name: "flow collections in spec", file: "a.yaml", content: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27, args: [--port, '8080', \"a: #b\"], ports: [{containerPort: 8080}]}]\n      tolerations: []\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  selector: {app: web, tier: on}\n  ports: [{port: 80, targetPort: 8080},{port: 443}]\n"},
	{name: "unclosed flow mapping in spec", file: "a.yaml", content: "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  selector: {app: web\n"},
	{name: "flow mapping key without a space", file: "a.yaml", content: "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  selector: {app:web, x: [a:, b]}\n"},
	{name: "repeated key in a flow mapping", file: "a.yaml", content: "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  selector: {app: a, app: b}\n"},
	// Argo CD refuses it too, when it adds its tracking annotation.
	{name: "unquoted yes annotation", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    enabled: yes\n"},
	{name: "number as a name", file: "a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 5\n", refused: "metadata.name: expected a string, found int 5"},
}

// TestDirectoryReading runs Argo CD's native directory source and syncwave
// side by side on each of readingCases.
func TestDirectoryReading(t *testing.T) {
	t.Parallel()

	for _, tc := range readingCases {
		t.Run(tc.name, func(t *testing.T) {
			tr := &tree{seed: -1, appPath: "apps/app", files: map[string]string{tc.file: tc.content}, links: map[string]string{}}
			repo := t.TempDir()
			tr.write(t, repo)
			native, nerr := generate(testContext(t), repo, app{name: "dir", namespace: "default", source: tr.nativeSource()})
			viaPlugin, perr := generate(testContext(t), repo, app{name: "dir", namespace: "default", source: tr.pluginSource(t)})
			if tc.refused != "" {
				if nerr != nil || perr == nil || !strings.Contains(perr.Error(), tc.refused) {
					t.Fatalf("want Argo CD to accept and syncwave to refuse with %q; native error %v, plugin error %v", tc.refused, nerr, perr)
				}
				return
			}
			switch {
			case nerr != nil && perr != nil:
				t.Logf("refused by both:\n  native: %v\n  plugin: %v", nerr, perr)
				return
			case nerr != nil || perr != nil:
				t.Fatalf("native error %v; plugin error %v", nerr, perr)
			}
			got, want := comparable(native, viaPlugin)
			if d := diffSets(canonical(t, got), canonical(t, want)); d != "" {
				t.Errorf("plugin vs native directory source:\n%s", d)
			}
			if len(want) == 0 {
				t.Logf("no object from either")
			}
		})
	}
}
