package health

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/internal/sandbox"
)

// ConfigMap is the health part of an argocd-cm ConfigMap: the group/kinds
// (Argo CD keys, possibly with "*" wildcards) the user gave a health check.
type ConfigMap struct {
	// checks maps an override key ("group/Kind", "Kind", "*/*") to the
	// argocd-cm entry that defines its health check.
	checks map[string]string
	keys   []string // sorted keys of checks
}

const customizationsKey = "resource.customizations"

// customizationTypes are the split-key types Argo CD accepts
// (resource.customizations.<type>.<group_kind>); any other is an error in
// Argo CD too.
var customizationTypes = map[string]bool{
	"health": true, "useOpenLibs": true, "actions": true, "ignoreDifferences": true,
	"ignoreResourceUpdates": true, "knownTypeFields": true,
}

// ReadConfigMap reads an argocd-cm ConfigMap: a YAML file, or a directory
// as a configMap volume mounts it (one file per data key; Kubernetes' own
// "..data" entries are skipped).
func ReadConfigMap(file string) (*ConfigMap, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("argocd-cm %w", err)
	}
	if fi.IsDir() {
		return readConfigMapDir(file)
	}
	b, err := sandbox.ReadRegular(file, maxConfigMapSize)
	if err != nil {
		return nil, fmt.Errorf("argocd-cm %s: %w", file, pathErr(err))
	}
	return ParseConfigMap(file, b)
}

// maxConfigMapSize bounds an argocd-cm file (a ConfigMap holds at most
// 1 MiB; the bound leaves room for a file written by hand).
const maxConfigMapSize = 16 << 20

func readConfigMapDir(dir string) (*ConfigMap, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("argocd-cm %w", err)
	}
	data := map[string]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p) // follows the volume's symbolic links
		if err != nil {
			return nil, fmt.Errorf("argocd-cm %w", err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		b, err := sandbox.ReadRegular(p, maxConfigMapSize)
		if err != nil {
			return nil, fmt.Errorf("argocd-cm %s: %w", p, pathErr(err))
		}
		data[e.Name()] = string(b)
	}
	return fromData(dir, data)
}

// ParseConfigMap reads the health checks of an argocd-cm ConfigMap the way
// Argo CD's settings manager does: the resource.customizations block (a YAML
// map keyed "group/Kind" whose entries may hold health.lua) and the split
// keys resource.customizations.health.<group>_<kind> (or .<kind> for the
// core group, .all for every kind). Keys may hold "*" wildcards.
//
// The file is read as Kubernetes and Argo CD read a ConfigMap, with
// sigs.k8s.io/yaml: YAML 1.1 scalars, and a key given twice keeps its last
// value.
func ParseConfigMap(file string, data []byte) (*ConfigMap, error) {
	var doc struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Data       map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("argocd-cm %s: %w", file, pathErr(err))
	}
	if doc.Kind != "ConfigMap" || doc.APIVersion != "v1" {
		return nil, fmt.Errorf("argocd-cm %s: expected a v1 ConfigMap, found %s %q", file, doc.APIVersion, doc.Kind)
	}
	return fromData(file, doc.Data)
}

func fromData(file string, data map[string]string) (*ConfigMap, error) {
	doc := struct{ Data map[string]string }{data}
	cm := &ConfigMap{checks: map[string]string{}}
	if block := doc.Data[customizationsKey]; block != "" {
		var overrides map[string]struct {
			HealthLua string `json:"health.lua"`
		}
		if err := yaml.Unmarshal([]byte(block), &overrides); err != nil {
			return nil, fmt.Errorf("argocd-cm %s: data.%s: %w", file, customizationsKey, err)
		}
		for k, o := range overrides {
			if o.HealthLua != "" {
				cm.checks[k] = customizationsKey + " " + k
			}
		}
	}
	var split []string
	for k := range doc.Data {
		if strings.HasPrefix(k, customizationsKey) {
			split = append(split, k)
		}
	}
	sort.Strings(split)
	for _, k := range split {
		parts := strings.SplitN(k, ".", 4)
		if len(parts) < 4 {
			continue
		}
		typ := parts[2]
		if !customizationTypes[typ] {
			return nil, fmt.Errorf("argocd-cm %s: data.%s: resource customization type %q is not one Argo CD knows", file, k, typ)
		}
		key, err := overrideKey(parts[3])
		if err != nil {
			return nil, fmt.Errorf("argocd-cm %s: data.%s: %w", file, k, err)
		}
		if typ != "health" {
			continue
		}
		// a split key replaces the block's health.lua of the same key
		if doc.Data[k] == "" {
			delete(cm.checks, key)
		} else {
			cm.checks[key] = k
		}
	}
	for k := range cm.checks {
		cm.keys = append(cm.keys, k)
	}
	sort.Strings(cm.keys)
	return cm, nil
}

// overrideKey is Argo CD's convertToOverrideKey: "group_Kind" becomes
// "group/Kind", "Kind" stays, "all" means every kind.
func overrideKey(groupKind string) (string, error) {
	parts := strings.Split(groupKind, "_")
	switch {
	case len(parts) == 2:
		return parts[0] + "/" + parts[1], nil
	case len(parts) == 1 && groupKind == "all":
		return "*/*", nil
	case len(parts) == 1 && groupKind != "":
		return groupKind, nil
	}
	return "", fmt.Errorf("expected <group>_<kind> or <kind>, found %q", groupKind)
}

// match returns the argocd-cm entry whose health check applies to gk: the
// exact key first, then the first wildcard key (in sorted order; Argo CD
// picks any one when several match).
func (cm *ConfigMap) match(gk GroupKind) (string, bool) {
	if e, ok := cm.checks[gk.String()]; ok {
		return e, true
	}
	for _, k := range cm.keys {
		if strings.Contains(k, "*") && globMatch(k, gk.String()) {
			return cm.checks[k], true
		}
	}
	return "", false
}

// Len is the number of user-defined checks.
func (cm *ConfigMap) Len() int { return len(cm.checks) }

// pathErr drops the path an *fs.PathError repeats.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
