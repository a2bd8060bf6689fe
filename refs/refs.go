// Package refs finds the objects a Kubernetes object needs to exist before
// it can work: the ServiceAccount, ConfigMaps, Secrets and
// PersistentVolumeClaims a pod template uses, the Role or ClusterRole and the
// ServiceAccounts a RoleBinding or ClusterRoleBinding names. lint uses them to
// find references planned later than their user; a dependency graph can use
// them as inferred edges.
//
// It reads an object as decoded from YAML or JSON (map[string]any) and never
// fails: a field of the wrong shape is skipped.
package refs

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Ref is one reference from an object to another.
type Ref struct {
	// Group and Kind of the referenced object ("" group: core).
	Group string `json:"group"`
	Kind  string `json:"kind"`
	// Namespace of the referenced object: "" for a cluster-scoped one, and
	// for a namespaced one the referrer's namespace (or the subject's), ""
	// when the referrer has none (the caller fills in the destination).
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Via says where the reference is, e.g. `volume "certs" (secret)` or
	// `container "app" envFrom`.
	Via string `json:"via"`
	// Path is the field path of the name in the referring object, e.g.
	// spec.template.spec.volumes[0].secret.secretName.
	Path string `json:"path"`
	// Optional is set when Kubernetes accepts the object being absent
	// (optional: true): such a reference does not block the workload.
	Optional bool `json:"optional"`
}

// String is "Secret ns/name".
func (r Ref) String() string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

// PodSpecPath returns the path of the pod spec in objects of a group/kind
// that hold one (Pod, the workload controllers, Job, CronJob, Argo Rollout),
// nil for other kinds.
func PodSpecPath(group, kind string) []string {
	switch group + "/" + kind {
	case "/Pod":
		return []string{"spec"}
	case "apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet", "/ReplicationController", "batch/Job", "argoproj.io/Rollout":
		return []string{"spec", "template", "spec"}
	case "batch/CronJob":
		return []string{"spec", "jobTemplate", "spec", "template", "spec"}
	}
	return nil
}

// Target reports whether an object of group/kind can be the target of a
// reference Of returns: a core ServiceAccount, ConfigMap, Secret or
// PersistentVolumeClaim, an RBAC Role or ClusterRole.
func Target(group, kind string) bool {
	switch group {
	case "":
		return kind == "ServiceAccount" || kind == "ConfigMap" || kind == "Secret" || kind == "PersistentVolumeClaim"
	case "rbac.authorization.k8s.io":
		return kind == "Role" || kind == "ClusterRole"
	}
	return false
}

// Of returns the references of obj, sorted by kind, namespace, name and
// where they are. Default ServiceAccounts ("default", or none named) are not
// references: Kubernetes creates them with the namespace.
func Of(obj map[string]any) []Ref {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group := ""
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	meta, _ := obj["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	var out []Ref
	if p := PodSpecPath(group, kind); p != nil {
		if spec, ok := dig(obj, p...).(map[string]any); ok {
			out = podSpec(spec, ns, strings.Join(p, ".")+".")
		}
	}
	if group == "rbac.authorization.k8s.io" && (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
		out = binding(obj, kind, ns)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Via < b.Via
	})
	return out
}

func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := dig(v, path...).(string)
	return s
}

func boolean(v any, path ...string) bool {
	b, _ := dig(v, path...).(bool)
	return b
}

func list(v any, path ...string) []any {
	l, _ := dig(v, path...).([]any)
	return l
}

// podSpec returns the references of a pod spec; prefix is its field path
// with a trailing dot ("spec.template.spec.").
func podSpec(spec map[string]any, ns, prefix string) []Ref {
	var out []Ref
	add := func(kind, name, via, path string, optional bool) {
		if name != "" {
			out = append(out, Ref{Kind: kind, Namespace: ns, Name: name, Via: via, Path: prefix + path, Optional: optional})
		}
	}
	sa, saPath := str(spec, "serviceAccountName"), "serviceAccountName"
	if sa == "" {
		sa, saPath = str(spec, "serviceAccount"), "serviceAccount"
	}
	if sa != "default" {
		add("ServiceAccount", sa, "serviceAccountName", saPath, false)
	}
	for i, s := range list(spec, "imagePullSecrets") {
		add("Secret", str(s, "name"), "imagePullSecrets", fmt.Sprintf("imagePullSecrets[%d].name", i), false)
	}
	for i, v := range list(spec, "volumes") {
		vn := str(v, "name")
		via := func(what string) string { return fmt.Sprintf("volume %q (%s)", vn, what) }
		vp := fmt.Sprintf("volumes[%d].", i)
		add("Secret", str(v, "secret", "secretName"), via("secret"), vp+"secret.secretName", boolean(v, "secret", "optional"))
		add("ConfigMap", str(v, "configMap", "name"), via("configMap"), vp+"configMap.name", boolean(v, "configMap", "optional"))
		add("PersistentVolumeClaim", str(v, "persistentVolumeClaim", "claimName"), via("persistentVolumeClaim"), vp+"persistentVolumeClaim.claimName", false)
		for j, src := range list(v, "projected", "sources") {
			sp := fmt.Sprintf("%sprojected.sources[%d].", vp, j)
			add("Secret", str(src, "secret", "name"), via("projected secret"), sp+"secret.name", boolean(src, "secret", "optional"))
			add("ConfigMap", str(src, "configMap", "name"), via("projected configMap"), sp+"configMap.name", boolean(src, "configMap", "optional"))
		}
	}
	for _, field := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for k, c := range list(spec, field) {
			cn := str(c, "name")
			cp := fmt.Sprintf("%s[%d].", field, k)
			for m, e := range list(c, "envFrom") {
				via := fmt.Sprintf("container %q envFrom", cn)
				ep := fmt.Sprintf("%senvFrom[%d].", cp, m)
				add("ConfigMap", str(e, "configMapRef", "name"), via, ep+"configMapRef.name", boolean(e, "configMapRef", "optional"))
				add("Secret", str(e, "secretRef", "name"), via, ep+"secretRef.name", boolean(e, "secretRef", "optional"))
			}
			for m, e := range list(c, "env") {
				via := fmt.Sprintf("container %q env %s", cn, str(e, "name"))
				ep := fmt.Sprintf("%senv[%d].valueFrom.", cp, m)
				add("ConfigMap", str(e, "valueFrom", "configMapKeyRef", "name"), via, ep+"configMapKeyRef.name", boolean(e, "valueFrom", "configMapKeyRef", "optional"))
				add("Secret", str(e, "valueFrom", "secretKeyRef", "name"), via, ep+"secretKeyRef.name", boolean(e, "valueFrom", "secretKeyRef", "optional"))
			}
		}
	}
	return out
}

func binding(obj map[string]any, kind, ns string) []Ref {
	var out []Ref
	if rk := str(obj, "roleRef", "kind"); rk == "Role" || rk == "ClusterRole" {
		rns := ""
		if rk == "Role" {
			rns = ns
		}
		if name := str(obj, "roleRef", "name"); name != "" {
			out = append(out, Ref{Group: "rbac.authorization.k8s.io", Kind: rk, Namespace: rns, Name: name, Via: "roleRef", Path: "roleRef.name"})
		}
	}
	for i, s := range list(obj, "subjects") {
		if str(s, "kind") != "ServiceAccount" {
			continue
		}
		name := str(s, "name")
		sns := str(s, "namespace")
		if sns == "" && kind == "RoleBinding" {
			sns = ns
		}
		if name != "" && name != "default" {
			out = append(out, Ref{Kind: "ServiceAccount", Namespace: sns, Name: name, Via: fmt.Sprintf("subjects[%d]", i), Path: fmt.Sprintf("subjects[%d].name", i)})
		}
	}
	return out
}

// OfDocument decodes one YAML or JSON document and returns its references
// (Of). For callers that hold a resource's text, such as a dependency graph
// turning references into edges.
func OfDocument(text []byte) ([]Ref, error) {
	obj, err := Decode(text)
	if err != nil {
		return nil, err
	}
	return Of(obj), nil
}

// Decode reads one YAML or JSON document into the object Argo CD sees:
// sigs.k8s.io/yaml, YAML 1.1 into JSON (the last repeated key wins, merge
// keys resolved, yes/on/off booleans), as the manifest reader takes a
// resource's identity.
func Decode(text []byte) (map[string]any, error) {
	var obj map[string]any
	if err := yaml.Unmarshal(text, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}
