// Command genkustomize writes a large, deterministic kustomization for
// benchmarks: shared bases (CRDs with large schemas, a namespace, one base
// per service), an overlay that pulls them together with a component,
// strategic-merge and JSON 6902 patches, a configMapGenerator (whose hashed
// name kustomize rewrites into the Deployments), labels, images and a
// namespace, and a syncwave.yaml with more than 20 groups in the overlay.
// About 2 MB of output and 60–100 resources with the defaults. Usage:
//
//	go run ./hack/genkustomize -out /tmp/bigkustomize [-services 12] [-crds 6]
//
// Render the overlay with
//
//	syncwave render --repo-root /tmp/bigkustomize /tmp/bigkustomize/overlays/prod
//	kustomize build /tmp/bigkustomize/overlays/prod
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
	services := flag.Int("services", 12, "services, each a base of a Deployment, Service, ServiceAccount, ConfigMap and PodDisruptionBudget")
	crds := flag.Int("crds", 6, "CRDs with large schemas")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genkustomize: -out is required")
		os.Exit(2)
	}
	if err := gen(*out, *services, *crds); err != nil {
		fmt.Fprintln(os.Stderr, "genkustomize:", err)
		os.Exit(1)
	}
}

func write(p, s string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(s), 0o644)
}

// crd is a CustomResourceDefinition whose schema has nested objects, enums
// and long descriptions, as real operator CRDs do.
func crd(i int) string {
	var props strings.Builder
	for p := 0; p < 420; p++ {
		fmt.Fprintf(&props, `                field%03d:
                  type: object
                  description: >-
                    Field %d of gadget kind %d. A long description, folded over two lines, to make
                    the schema as large as the schemas of real operators are.
                  properties:
                    mode:
                      type: string
                      enum: [Auto, Manual, Disabled]
                      description: How field %d is managed.
                    replicas:
                      type: integer
                      format: int32
                      minimum: 0
                    selector:
                      type: object
                      additionalProperties:
                        type: string
`, p, p, i, p)
	}
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets%d.bench.example.org
  labels:
    app.kubernetes.io/part-of: bench
spec:
  group: bench.example.org
  names:
    kind: Gadget%d
    listKind: Gadget%dList
    plural: gadgets%d
    singular: gadget%d
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources:
        status: {}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
%s            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
`, i, i, i, i, i, props.String())
}

// service is one base: a ServiceAccount, ConfigMap, Service, Deployment and
// PodDisruptionBudget.
func service(i int) (kustomization, manifests string) {
	name := fmt.Sprintf("svc%02d", i)
	var env, data strings.Builder
	for k := 0; k < 40; k++ {
		fmt.Fprintf(&env, "            - name: SETTING_%02d\n              value: \"value %d of %s, padded to look like a real setting\"\n", k, k, name)
		fmt.Fprintf(&data, "  setting-%02d: \"value %d of %s with some padding text\"\n", k, k, name)
	}
	manifests = fmt.Sprintf(`apiVersion: v1
kind: ServiceAccount
metadata:
  name: %[1]s
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: %[1]s-settings
data:
%[3]s---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  annotations:
    bench.example.org/owner: team-%[4]d
spec:
  selector:
    app: %[1]s
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: metrics
      port: 9090
      targetPort: metrics
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      serviceAccountName: %[1]s
      containers:
        - name: main
          image: bench/%[1]s:1.0.0
          args: ["--config=/etc/app/config.yaml", "--port=8080", "--log-level=info"]
          ports:
            - {name: http, containerPort: 8080}
            - {name: metrics, containerPort: 9090}
          envFrom:
            - configMapRef:
                name: %[1]s-settings
          env:
%[2]s          volumeMounts:
            - name: shared
              mountPath: /etc/shared
          readinessProbe:
            httpGet: {path: /ready, port: http}
            periodSeconds: 5
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 512Mi}
        - name: sidecar
          image: bench/proxy:2.3.1
          ports:
            - {name: proxy, containerPort: 15001}
      volumes:
        - name: shared
          configMap:
            name: shared-config
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: %[1]s
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: %[1]s
`, name, env.String(), data.String(), i%4)
	kustomization = fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nlabels:\n  - pairs:\n      app.kubernetes.io/component: %s\n    includeSelectors: false\nresources:\n  - %s.yaml\n", name, name)
	return kustomization, manifests
}

func gen(out string, services, crds int) error {
	files := map[string]string{}
	// bases/crds: the CRDs.
	var list strings.Builder
	for i := 0; i < crds; i++ {
		n := fmt.Sprintf("gadgets%d.yaml", i)
		files[filepath.Join("bases", "crds", n)] = crd(i)
		fmt.Fprintf(&list, "  - %s\n", n)
	}
	files[filepath.Join("bases", "crds", "kustomization.yaml")] = "resources:\n" + list.String()
	// bases/platform: the namespace and cluster-wide RBAC.
	files[filepath.Join("bases", "platform", "kustomization.yaml")] = "resources:\n  - namespace.yaml\n  - rbac.yaml\n"
	files[filepath.Join("bases", "platform", "namespace.yaml")] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n"
	files[filepath.Join("bases", "platform", "rbac.yaml")] = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: bench-reader
rules:
  - apiGroups: [bench.example.org]
    resources: ["*"]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: bench-reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: bench-reader
subjects:
  - kind: ServiceAccount
    name: svc00
    namespace: bench
`
	// bases/svcNN: one base per service.
	var bases strings.Builder
	for i := 0; i < services; i++ {
		k, m := service(i)
		name := fmt.Sprintf("svc%02d", i)
		files[filepath.Join("bases", name, "kustomization.yaml")] = k
		files[filepath.Join("bases", name, name+".yaml")] = m
		fmt.Fprintf(&bases, "  - ../../bases/%s\n", name)
	}
	// components/monitoring: a ServiceMonitor per service and a patch that
	// labels every Service for scraping.
	var monitors strings.Builder
	for i := 0; i < services; i++ {
		fmt.Fprintf(&monitors, "---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: svc%02d\nspec:\n  selector:\n    matchLabels:\n      app.kubernetes.io/component: svc%02d\n  endpoints:\n    - port: metrics\n      interval: 30s\n", i, i)
	}
	files[filepath.Join("components", "monitoring", "monitors.yaml")] = monitors.String()
	files[filepath.Join("components", "monitoring", "kustomization.yaml")] = `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - monitors.yaml
patches:
  - target:
      kind: Service
    patch: |-
      - op: add
        path: /metadata/labels/bench.example.org~1scrape
        value: "true"
`
	// overlays/prod: everything together.
	files[filepath.Join("overlays", "prod", "kustomization.yaml")] = fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: bench
labels:
  - pairs:
      app.kubernetes.io/part-of: bench
      environment: prod
    includeSelectors: false
commonAnnotations:
  bench.example.org/revision: "42"
resources:
  - ../../bases/crds
  - ../../bases/platform
%s  - gadgets.yaml
components:
  - ../../components/monitoring
images:
  - name: bench/proxy
    newTag: 2.4.0
configMapGenerator:
  - name: shared-config
    files:
      - config/app.properties
      - config/logging.yaml
    literals:
      - REGION=eu-west-1
      - TIER=prod
patches:
  - path: patches/replicas.yaml
    target:
      kind: Deployment
  - path: patches/resources.yaml
  - target:
      kind: Deployment
      name: svc0[0-4]
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/args/2
        value: --log-level=debug
      - op: add
        path: /spec/template/metadata/annotations
        value:
          bench.example.org/tier: front
  - path: patches/pdb.json
    target:
      kind: PodDisruptionBudget
`, bases.String())
	files[filepath.Join("overlays", "prod", "patches", "replicas.yaml")] = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: any
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: main
          env:
            - name: ENVIRONMENT
              value: prod
`
	files[filepath.Join("overlays", "prod", "patches", "resources.yaml")] = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc00
spec:
  template:
    spec:
      containers:
        - name: main
          resources:
            requests: {cpu: 500m, memory: 1Gi}
            limits: {cpu: "2", memory: 2Gi}
`
	files[filepath.Join("overlays", "prod", "patches", "pdb.json")] = `[{"op": "replace", "path": "/spec/minAvailable", "value": 2}]` + "\n"
	var props, logging strings.Builder
	for k := 0; k < 200; k++ {
		fmt.Fprintf(&props, "app.option.%03d=value %d, a line of a real properties file\n", k, k)
	}
	for k := 0; k < 50; k++ {
		fmt.Fprintf(&logging, "logger%02d:\n  level: info\n  format: json\n", k)
	}
	files[filepath.Join("overlays", "prod", "config", "app.properties")] = props.String()
	files[filepath.Join("overlays", "prod", "config", "logging.yaml")] = logging.String()
	var gadgets strings.Builder
	for i := 0; i < crds; i++ {
		for j := 0; j < 2; j++ {
			fmt.Fprintf(&gadgets, "---\napiVersion: bench.example.org/v1\nkind: Gadget%d\nmetadata:\n  name: gadget%d-%d\nspec:\n  field000: {mode: Auto, replicas: %d}\n", i, i, j, j+1)
		}
	}
	files[filepath.Join("overlays", "prod", "gadgets.yaml")] = gadgets.String()
	// syncwave.yaml: CRDs, platform, configuration, then one group per
	// service in a chain, the monitors and the custom resources last.
	var b strings.Builder
	b.WriteString(`apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
sources:
  - kustomize: {path: .}
groups:
  - {name: crds, select: [{kind: CustomResourceDefinition}]}
  - {name: platform, select: [{kind: Namespace}, {kind: ClusterRole}, {kind: ClusterRoleBinding}], after: [crds]}
  - {name: config, select: [{kind: ConfigMap}, {kind: ServiceAccount}], after: [platform]}
`)
	prev := "config"
	for i := 0; i < services; i++ {
		name := fmt.Sprintf("svc%02d", i)
		fmt.Fprintf(&b, "  - name: %s\n    select: [{kind: Deployment, name: %s}, {kind: Service, name: %s}, {kind: PodDisruptionBudget, name: %s}]\n    after: [%s]\n", name, name, name, name, prev)
		prev = name
	}
	for g := services; g < 20; g++ { // at least 20 service groups
		fmt.Fprintf(&b, "  - name: spare%02d\n    select: [{kind: Deployment, name: spare%02d}]\n    after: [%s]\n    optional: true\n", g, g, prev)
		prev = fmt.Sprintf("spare%02d", g)
	}
	fmt.Fprintf(&b, "  - {name: monitors, select: [{kind: ServiceMonitor}], after: [%s]}\n", prev)
	b.WriteString("  - {name: gadgets, select: [{apiVersion: bench.example.org/v1}], after: [monitors]}\n")
	files[filepath.Join("overlays", "prod", "syncwave.yaml")] = b.String()
	for p, s := range files {
		if err := write(filepath.Join(out, p), s); err != nil {
			return err
		}
	}
	return nil
}
