package plugin

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// param is an Application's spec.source.plugin.parameters entry, the way
// Argo CD models it: nil means "not set", a pointer to an empty value means
// "set to empty".
type param struct {
	name   string
	str    *string
	array  *[]string
	mapped *map[string]string
}

func str(s string) *string               { return &s }
func arr(a ...string) *[]string          { return &a }
func mp(kv ...string) *map[string]string { m := pairs(kv...); return &m }
func pairs(kv ...string) (m map[string]string) {
	m = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// argoParamEnv is what Argo CD's ApplicationSourcePluginParameters.Environ
// produces (pkg/apis/application/v1alpha1/types.go): ARGOCD_APP_PARAMETERS
// with each parameter marshalled as a map (keys sorted), then PARAM_*.
func argoParamEnv(ps []param) []string {
	list := make([]map[string]any, 0, len(ps))
	for _, p := range ps {
		m := map[string]any{"name": p.name}
		if p.str != nil {
			m["string"] = *p.str
		}
		if p.mapped != nil {
			m["map"] = *p.mapped
		}
		if p.array != nil {
			m["array"] = *p.array
		}
		list = append(list, m)
	}
	var b []byte
	if len(ps) == 0 {
		b = []byte("null")
	} else {
		b, _ = json.Marshal(list)
	}
	env := []string{EnvAppParameters + "=" + string(b)}
	for _, p := range ps {
		base := "PARAM_" + Escape(p.name)
		if p.str != nil {
			env = append(env, base+"="+*p.str)
		}
		if p.mapped != nil {
			for k, v := range *p.mapped {
				env = append(env, base+"_"+Escape(k)+"="+v)
			}
		}
		if p.array != nil {
			for i, v := range *p.array {
				env = append(env, fmt.Sprintf("%s_%d=%s", base, i, v))
			}
		}
	}
	return env
}

// shape is an Argo CD version's way of passing the environment.
type shape struct {
	name string
	// v2.14 drops entries with an empty value; v3 passes them.
	dropEmpty bool
	// v3 adds ARGOCD_APP_PROJECT_NAME; KUBE_VERSION is 1.29 before 3.4
	project     bool
	kubeVersion string
	// wantKube is what syncwave renders with: Argo CD 2.14's Helm reads
	// 1.29 as 1.29.0.
	wantKube string
}

var shapes = []shape{
	{name: "v2.14", dropEmpty: true, kubeVersion: "1.29", wantKube: "1.29.0"},
	{name: "v3.4", project: true, kubeVersion: "1.29.3", wantKube: "1.29.3"},
}

// argoEnv builds the environment of a generate command as the cmp-server
// of one Argo CD version gives it: the sidecar's own variables first, then
// the request's (later entries win).
func (s shape) argoEnv(sidecar []string, appName, ns, sourcePath string, appEnv map[string]string, ps []param, plugin bool) []string {
	env := append([]string{"PATH=/usr/local/bin", "HOME=/home/argocd"}, sidecar...)
	req := []string{
		"ARGOCD_APP_NAME=" + appName,
		"ARGOCD_APP_NAMESPACE=" + ns,
		"ARGOCD_APP_REVISION=0123456789abcdef0123456789abcdef01234567",
		"ARGOCD_APP_REVISION_SHORT=0123456",
		"ARGOCD_APP_REVISION_SHORT_8=01234567",
		"ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/org/repo.git",
		"ARGOCD_APP_SOURCE_PATH=" + sourcePath,
		"ARGOCD_APP_SOURCE_TARGET_REVISION=HEAD",
		"KUBE_VERSION=" + s.kubeVersion,
		"KUBE_API_VERSIONS=apps/v1,apps/v1/Deployment,v1,v1/Pod",
	}
	if s.project {
		req = append(req, "ARGOCD_APP_PROJECT_NAME=default")
	}
	if plugin {
		keys := make([]string, 0, len(appEnv))
		for k := range appEnv {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			req = append(req, "ARGOCD_ENV_"+k+"="+appEnv[k])
		}
		req = append(req, argoParamEnv(ps)...)
	}
	if s.dropEmpty {
		kept := req[:0]
		for _, kv := range req {
			if !strings.HasSuffix(kv, "=") {
				kept = append(kept, kv)
			}
		}
		req = kept
	}
	return append(env, req...)
}

const wd = "/tmp/_cmp_server/2f1c/apps/shop"

func TestFromEnvArgoShapes(t *testing.T) {
	t.Parallel()

	type tc struct {
		name       string
		sidecar    []string
		appName    string
		ns         string
		sourcePath string
		appEnv     map[string]string
		params     []param
		noPlugin   bool
		check      func(t *testing.T, in Inputs)
	}
	for _, c := range []tc{
		{
			name: "plain plugin section", appName: "shop", ns: "prod", sourcePath: "apps/shop",
			check: func(t *testing.T, in Inputs) {
				eq(t, "RepoRoot", in.RepoRoot, "/tmp/_cmp_server/2f1c")
				eq(t, "AppDir", in.AppDir, wd)
				eq(t, "AppName", in.AppName, "shop")
				eq(t, "Namespace", in.Namespace, "prod")
				eq(t, "APIVersions", in.APIVersions, []string{"apps/v1", "apps/v1/Deployment", "v1", "v1/Pod"})
				eq(t, "Timeout", in.Timeout, DefaultTimeout)
				eq(t, "AllowEmpty", in.AllowEmpty, false)
				eq(t, "OrderFile", in.OrderFile, "")
				eq(t, "Order", in.Order, []byte(nil))
				eq(t, "ValueFiles", in.ValueFiles, []string(nil))
				eq(t, "Set", in.SetArgs(), []string(nil))
				eq(t, "Origins", in.Origins[ParamAllowEmpty], "default")
				eq(t, "Revision", in.Revision, "0123456789abcdef0123456789abcdef01234567")
				eq(t, "RepoURL", in.RepoURL, "https://git.example.com/org/repo.git")
				eq(t, "SourcePath", in.SourcePath, "apps/shop")
			},
		},
		{
			name: "no plugin section at all", appName: "shop", sourcePath: "apps/shop", noPlugin: true,
			check: func(t *testing.T, in Inputs) {
				eq(t, "Namespace", in.Namespace, "")
				eq(t, "Origins", in.Origins[ParamOrderFile], "default")
			},
		},
		{
			name: "apps in any namespace", appName: "team-a_shop", ns: "shop", sourcePath: "apps/shop",
			check: func(t *testing.T, in Inputs) {
				eq(t, "AppName", in.AppName, "team-a_shop")
				eq(t, "PipelineOptions.AppName", in.PipelineOptions().AppName, "team-a_shop")
			},
		},
		{
			name: "every parameter", appName: "shop", ns: "prod", sourcePath: "./apps/shop/",
			params: []param{
				{name: "order-file", str: str("ordering/prod.yaml")},
				{name: "values-files", array: arr("values-prod.yaml", "/shared/common.yaml")},
				{name: "values", str: str("replicas: 3\n")},
				{name: "helm-parameters", mapped: mp("image.tag", "v1.2.3", "ingress.hosts", "a,b", "list", "{a,b}", "esc", `x\,y`)},
				{name: "release-name", str: str("shop-prod")},
				{name: "allow-empty", str: str("true")},
			},
			check: func(t *testing.T, in Inputs) {
				eq(t, "RepoRoot", in.RepoRoot, "/tmp/_cmp_server/2f1c")
				eq(t, "OrderFile", in.OrderFile, wd+"/ordering/prod.yaml")
				eq(t, "ValueFiles", in.ValueFiles, []string{"values-prod.yaml", "/shared/common.yaml"})
				eq(t, "Values", in.Values, "replicas: 3\n")
				eq(t, "Set", in.SetArgs(), []string{`esc=x\,y`, "image.tag=v1.2.3", `ingress.hosts=a\,b`, "list={a,b}"})
				eq(t, "ReleaseName", in.ReleaseName, "shop-prod")
				eq(t, "AllowEmpty", in.AllowEmpty, true)
				eq(t, "Origins", in.Origins[ParamValuesFiles], "parameter")
				o := in.PipelineOptions()
				eq(t, "opts.Path", o.Path, wd)
				eq(t, "opts.Set", o.Set, in.SetArgs())
				eq(t, "opts.ReleaseName", o.ReleaseName, "shop-prod")
			},
		},
		{
			name: "inline order and an order-file from the repository root", appName: "shop", sourcePath: "apps/shop",
			params: []param{
				{name: "order", str: str("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\n")},
				{name: "order-file", str: str("/ordering/shop.yaml")},
			},
			check: func(t *testing.T, in Inputs) {
				eq(t, "Order", string(in.Order), "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\n")
				eq(t, "OrderFile", in.OrderFile, "/tmp/_cmp_server/2f1c/ordering/shop.yaml")
			},
		},
		{
			name: "empty parameter values count as not set", appName: "shop", sourcePath: "apps/shop",
			appEnv: map[string]string{"SYNCWAVE_RELEASE_NAME": "from-app-env", "SYNCWAVE_VALUES_FILES": "a.yaml,b.yaml"},
			params: []param{
				{name: "release-name", str: str("")},
				{name: "values-files", array: arr()},
				{name: "helm-parameters", mapped: mp()},
				{name: "allow-empty", str: str("")},
			},
			check: func(t *testing.T, in Inputs) {
				eq(t, "ReleaseName", in.ReleaseName, "from-app-env")
				eq(t, "ValueFiles", in.ValueFiles, []string{"a.yaml", "b.yaml"})
				eq(t, "Origins", in.Origins[ParamReleaseName], "ARGOCD_ENV_SYNCWAVE_RELEASE_NAME")
				eq(t, "AllowEmpty", in.AllowEmpty, false)
			},
		},
		{
			name: "empty array elements are dropped", appName: "shop", sourcePath: "apps/shop",
			params: []param{{name: "values-files", array: arr("a.yaml", "", "b.yaml")}},
			check: func(t *testing.T, in Inputs) {
				eq(t, "ValueFiles", in.ValueFiles, []string{"a.yaml", "b.yaml"})
			},
		},
		{
			name: "precedence: parameter, then plugin.env, then sidecar", appName: "shop", sourcePath: "apps/shop",
			sidecar: []string{"SYNCWAVE_RELEASE_NAME=sidecar", "SYNCWAVE_ORDER_FILE=sidecar.yaml", "SYNCWAVE_ALLOW_EMPTY=true", "SYNCWAVE_TIMEOUT=30"},
			appEnv:  map[string]string{"SYNCWAVE_RELEASE_NAME": "app-env", "SYNCWAVE_ORDER_FILE": "app-env.yaml", "SYNCWAVE_ALLOW_EMPTY": ""},
			params:  []param{{name: "release-name", str: str("param")}},
			check: func(t *testing.T, in Inputs) {
				eq(t, "ReleaseName", in.ReleaseName, "param")
				eq(t, "OrderFile", in.OrderFile, wd+"/app-env.yaml")
				eq(t, "AllowEmpty", in.AllowEmpty, true) // the empty plugin.env value falls through
				eq(t, "Origins", in.Origins[ParamAllowEmpty], "SYNCWAVE_ALLOW_EMPTY")
				eq(t, "Timeout", in.Timeout, 30*time.Second)
			},
		},
		{
			name: "array and map variables: comma lists and JSON", appName: "shop", sourcePath: "apps/shop",
			appEnv:  map[string]string{"SYNCWAVE_VALUES_FILES": `["a,1.yaml", "b.yaml"]`, "SYNCWAVE_HELM_PARAMETERS": "image.tag=v1, replicas=2"},
			sidecar: []string{`SYNCWAVE_HELM_PARAMETERS={"ignored": "lower precedence"}`},
			check: func(t *testing.T, in Inputs) {
				eq(t, "ValueFiles", in.ValueFiles, []string{"a,1.yaml", "b.yaml"})
				eq(t, "HelmParameters", in.HelmParameters, map[string]string{"image.tag": "v1", "replicas": "2"})
			},
		},
		{
			name: "map from a JSON sidecar variable", appName: "shop", sourcePath: "apps/shop",
			sidecar: []string{`SYNCWAVE_HELM_PARAMETERS={"a.b": "x,y"}`},
			check: func(t *testing.T, in Inputs) {
				eq(t, "Set", in.SetArgs(), []string{`a.b=x\,y`})
			},
		},
		{
			name: "source path at the repository root", appName: "shop", sourcePath: ".",
			check: func(t *testing.T, in Inputs) { eq(t, "RepoRoot", in.RepoRoot, wd) },
		},
		{
			name: "source path that does not line up", appName: "shop", sourcePath: "other/place",
			check: func(t *testing.T, in Inputs) { eq(t, "RepoRoot", in.RepoRoot, wd) },
		},
	} {
		for _, s := range shapes {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				env := s.argoEnv(c.sidecar, c.appName, c.ns, c.sourcePath, c.appEnv, c.params, !c.noPlugin)
				in, err := FromEnv(env, wd)
				if err != nil {
					t.Fatalf("FromEnv: %v\nenv: %q", err, env)
				}
				eq(t, "KubeVersion", in.KubeVersion, s.wantKube)
				if s.project {
					eq(t, "Project", in.Project, "default")
				}
				c.check(t, in)
			})
		}
	}
}

// TestFromEnvEmptyValuesSame: v2.14 drops variables with empty values, v3
// passes them; the inputs must be the same.
func TestFromEnvEmptyValuesSame(t *testing.T) {
	t.Parallel()

	params := []param{{name: "release-name", str: str("")}, {name: "values-files", array: arr("", "x.yaml")}, {name: "order", str: str("")}}
	appEnv := map[string]string{"SYNCWAVE_ORDER_FILE": "", "SYNCWAVE_VALUES": ""}
	var got []Inputs
	for _, s := range []shape{{dropEmpty: true, kubeVersion: "1.29"}, {kubeVersion: "1.29"}} {
		in, err := FromEnv(s.argoEnv(nil, "shop", "", "apps/shop", appEnv, params, true), wd)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, in)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("v2.14 and v3 environments differ:\n%+v\n%+v", got[0], got[1])
	}
}

func TestFromEnvParamVariables(t *testing.T) {
	t.Parallel()

	for _, c := range []struct {
		name  string
		env   []string
		check func(t *testing.T, in Inputs)
		err   string
	}{
		{
			name: "strings and arrays without ARGOCD_APP_PARAMETERS",
			env:  []string{"PARAM_ORDER_FILE=o.yaml", "PARAM_ORDER=apiVersion: syncwave.io/v1alpha1", "PARAM_VALUES_FILES_1=b.yaml", "PARAM_VALUES_FILES_0=a.yaml", "PARAM_VALUES=x: 1", "PARAM_ALLOW_EMPTY=TRUE"},
			check: func(t *testing.T, in Inputs) {
				eq(t, "OrderFile", in.OrderFile, wd+"/o.yaml")
				eq(t, "Order", string(in.Order), "apiVersion: syncwave.io/v1alpha1")
				eq(t, "ValueFiles", in.ValueFiles, []string{"a.yaml", "b.yaml"})
				eq(t, "Values", in.Values, "x: 1")
				eq(t, "AllowEmpty", in.AllowEmpty, true)
			},
		},
		{
			name: "array with a gap (v2.14 dropped an empty element)",
			env:  []string{"PARAM_VALUES_FILES_0=a.yaml", "PARAM_VALUES_FILES_2=c.yaml", "PARAM_VALUES_FILES_10=k.yaml"},
			check: func(t *testing.T, in Inputs) {
				eq(t, "ValueFiles", in.ValueFiles, []string{"a.yaml", "c.yaml", "k.yaml"})
			},
		},
		{
			name: "ARGOCD_APP_PARAMETERS wins over PARAM_*",
			env:  []string{`ARGOCD_APP_PARAMETERS=[{"name":"release-name","string":"json"}]`, "PARAM_RELEASE_NAME=param", "PARAM_BOGUS=x"},
			check: func(t *testing.T, in Inputs) {
				eq(t, "ReleaseName", in.ReleaseName, "json")
			},
		},
		{
			name: "empty ARGOCD_APP_PARAMETERS (v3) falls back to PARAM_*",
			env:  []string{"ARGOCD_APP_PARAMETERS=", "PARAM_RELEASE_NAME=param"},
			check: func(t *testing.T, in Inputs) {
				eq(t, "ReleaseName", in.ReleaseName, "param")
			},
		},
		{
			name: "later entries win, as in os/exec",
			env:  []string{"SYNCWAVE_RELEASE_NAME=first", "SYNCWAVE_RELEASE_NAME=second"},
			check: func(t *testing.T, in Inputs) {
				eq(t, "ReleaseName", in.ReleaseName, "second")
			},
		},
		{
			name: "timeouts",
			env:  []string{"SYNCWAVE_TIMEOUT=1m30s"},
			check: func(t *testing.T, in Inputs) {
				eq(t, "Timeout", in.Timeout, 90*time.Second)
			},
		},
		{
			name: "fractional seconds",
			env:  []string{"SYNCWAVE_TIMEOUT=2.5"},
			check: func(t *testing.T, in Inputs) {
				eq(t, "Timeout", in.Timeout, 2500*time.Millisecond)
			},
		},
		{
			name: "KUBE_VERSION with a v and a suffix",
			env:  []string{"KUBE_VERSION=v1.30.2+k3s1", "KUBE_API_VERSIONS= apps/v1 , ,v1 "},
			check: func(t *testing.T, in Inputs) {
				eq(t, "KubeVersion", in.KubeVersion, "v1.30.2+k3s1")
				eq(t, "APIVersions", in.APIVersions, []string{"apps/v1", "v1"})
			},
		},
		{name: "map through PARAM_*", env: []string{"PARAM_HELM_PARAMETERS_IMAGE_TAG=v1"}, err: `PARAM_HELM_PARAMETERS_IMAGE_TAG: map parameter "helm-parameters" cannot be read from PARAM_* variables`},
		{name: "unknown PARAM_*", env: []string{"PARAM_BOGUS=1"}, err: "PARAM_BOGUS: unknown parameter (known: order-file, order, values-files, values, helm-parameters, release-name, allow-empty, dependency-annotations, helm-version, argocd-version, plan-record)"},
		{name: "PARAM_* string for an array", env: []string{"PARAM_VALUES_FILES=a.yaml"}, err: `PARAM_VALUES_FILES: parameter "values-files" expected an array (array: [...]), found a string`},
		{name: "PARAM_* array for a string", env: []string{"PARAM_RELEASE_NAME_0=a"}, err: `PARAM_RELEASE_NAME_0: parameter "release-name" expected a string (string: ...), found an array`},
		{name: "malformed JSON", env: []string{`ARGOCD_APP_PARAMETERS=[{"name": "order"`}, err: "ARGOCD_APP_PARAMETERS: malformed JSON, expected a list of {name, string|array|map}"},
		{name: "JSON object instead of a list", env: []string{`ARGOCD_APP_PARAMETERS={"name": "order"}`}, err: "ARGOCD_APP_PARAMETERS: malformed JSON"},
		{name: "JSON element not an object", env: []string{`ARGOCD_APP_PARAMETERS=["order"]`}, err: `ARGOCD_APP_PARAMETERS[0]: expected an object {name, string|array|map}, found "order"`},
		{name: "unknown parameter", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"valuesFiles","array":["a"]}]`}, err: `unknown parameter "valuesFiles" (known: order-file, order`},
		{name: "nameless parameter", env: []string{`ARGOCD_APP_PARAMETERS=[{"string":"a"}]`}, err: "ARGOCD_APP_PARAMETERS[0]: parameter without a name"},
		{name: "string where an array is expected", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","string":"a.yaml"}]`}, err: `parameter "values-files": expected an array (array: [...]), found a string (string: ...)`},
		{name: "array where a string is expected", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"release-name","array":["a"]}]`}, err: `parameter "release-name": expected a string (string: ...), found an array (array: [...])`},
		{name: "map where an array is expected", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","map":{"a":"b"}}]`}, err: `parameter "values-files": expected an array (array: [...]), found a map (map: {...})`},
		{name: "both string and array", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","string":"x","array":["a"]}]`}, err: `parameter "values-files": expected only an array (array: [...]), found string and array`},
		{name: "array of numbers", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":[1]}]`}, err: `parameter "values-files": expected an array (array: [...]): found a JSON number`},
		{name: "map of numbers", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"helm-parameters","map":{"a":1}}]`}, err: `parameter "helm-parameters": expected a map (map: {...}): found a JSON number`},
		{name: "parameter twice", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"order","string":"a"},{"name":"order","string":"b"}]`}, err: `parameter "order" is given twice`},
		{name: "bad allow-empty", env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"allow-empty","string":"yes"}]`}, err: `parameter "allow-empty" (parameter): expected true or false, found "yes"`},
		{name: "bad allow-empty variable", env: []string{"ARGOCD_ENV_SYNCWAVE_ALLOW_EMPTY=1"}, err: `parameter "allow-empty" (ARGOCD_ENV_SYNCWAVE_ALLOW_EMPTY): expected true or false, found "1"`},
		{name: "bad map variable", env: []string{"SYNCWAVE_HELM_PARAMETERS=image.tag"}, err: `SYNCWAVE_HELM_PARAMETERS (parameter "helm-parameters"): expected key=value pairs separated by commas (or a JSON object), found "image.tag"`},
		{name: "bad JSON list variable", env: []string{"SYNCWAVE_VALUES_FILES=[a.yaml]"}, err: `SYNCWAVE_VALUES_FILES (parameter "values-files"): expected a JSON list of strings`},
		{name: "misspelt plugin.env", env: []string{"ARGOCD_ENV_SYNCWAVE_ORDERFILE=a.yaml"}, err: "unknown variable ARGOCD_ENV_SYNCWAVE_ORDERFILE; plugin.env may set: SYNCWAVE_ORDER_FILE,"},
		{name: "sidecar variable in plugin.env", env: []string{"ARGOCD_ENV_SYNCWAVE_ALLOW_NETWORKS=10.0.0.0/8"}, err: "ARGOCD_ENV_SYNCWAVE_ALLOW_NETWORKS: SYNCWAVE_ALLOW_NETWORKS is set in the sidecar's environment by the operator, not through an Application's plugin.env; plugin.env may set: SYNCWAVE_ORDER_FILE, SYNCWAVE_ORDER, SYNCWAVE_VALUES_FILES, SYNCWAVE_VALUES, SYNCWAVE_HELM_PARAMETERS, SYNCWAVE_RELEASE_NAME, SYNCWAVE_ALLOW_EMPTY, SYNCWAVE_DEPENDENCY_ANNOTATIONS, SYNCWAVE_HELM_VERSION, SYNCWAVE_ARGOCD_VERSION"},
		{name: "budget in plugin.env", env: []string{"ARGOCD_ENV_SYNCWAVE_MAX_MEMORY=8Gi"}, err: "ARGOCD_ENV_SYNCWAVE_MAX_MEMORY: SYNCWAVE_MAX_MEMORY is set in the sidecar's environment by the operator"},
		{name: "lower-case plugin.env", env: []string{"ARGOCD_ENV_syncwave_order_file=a.yaml"}, err: "unknown variable ARGOCD_ENV_syncwave_order_file (did you mean ARGOCD_ENV_SYNCWAVE_ORDER_FILE? names are case-sensitive)"},
		{name: "misspelt sidecar variable: a warning", env: []string{"SYNCWAVE_TIMEOUTS=1", "SYNCWAVE_TOOLS=/x"},
			check: func(t *testing.T, in Inputs) {
				eq(t, "Warnings", len(in.Warnings), 2)
				if len(in.Warnings) == 2 && !strings.HasPrefix(in.Warnings[0], "unknown variable SYNCWAVE_TIMEOUTS; known: ") {
					t.Errorf("warning %q", in.Warnings[0])
				}
			}},
		{name: "bad KUBE_VERSION", env: []string{"KUBE_VERSION=latest"}, err: `KUBE_VERSION="latest": expected a Kubernetes version such as 1.29 or 1.29.3`},
		{name: "bad timeout", env: []string{"SYNCWAVE_TIMEOUT=soon"}, err: `SYNCWAVE_TIMEOUT="soon": expected a duration such as 45s or 1m, or a number of seconds`},
		{name: "zero timeout", env: []string{"SYNCWAVE_TIMEOUT=0"}, err: `SYNCWAVE_TIMEOUT="0": expected a positive duration`},
		{name: "negative timeout", env: []string{"SYNCWAVE_TIMEOUT=-5s"}, err: `SYNCWAVE_TIMEOUT="-5s": expected a positive duration`},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := FromEnv(c.env, wd)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want it to contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, in)
		})
	}
}

func TestFromEnvReportsEveryProblem(t *testing.T) {
	t.Parallel()

	_, err := FromEnv([]string{"KUBE_VERSION=x", "SYNCWAVE_TIMEOUT=x", `ARGOCD_APP_PARAMETERS=[{"name":"a"},{"name":"values","array":["x"]}]`}, wd)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"KUBE_VERSION", "SYNCWAVE_TIMEOUT", `unknown parameter "a"`, `parameter "values": expected a string`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestFromEnvRelativeWorkDir(t *testing.T) {
	t.Parallel()

	if _, err := FromEnv(nil, "apps/shop"); err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Fatalf("error %v", err)
	}
}

func TestRepoRoot(t *testing.T) {
	t.Parallel()

	for _, c := range []struct{ wd, sp, want string }{
		{"/w/u/apps/shop", "apps/shop", "/w/u"},
		{"/w/u/apps/shop", "./apps/shop/", "/w/u"},
		{"/w/u/apps/shop", "/apps/shop", "/w/u"},
		{"/w/u/apps/shop/", "apps/shop", "/w/u"},
		{"/w/u/apps/shop", "shop", "/w/u/apps"},
		{"/w/u/apps/shop", "", "/w/u/apps/shop"},
		{"/w/u/apps/shop", ".", "/w/u/apps/shop"},
		{"/w/u/apps/shop", "other/shop2", "/w/u/apps/shop"},
		{"/w/u/apps/shop", "hop", "/w/u/apps/shop"}, // a suffix of the name is not a path suffix
		{"/w/u/apps/shop", "../apps/shop", "/w/u/apps/shop"},
		{"/shop", "shop", "/"},
	} {
		if got := RepoRoot(c.wd, c.sp); got != c.want {
			t.Errorf("RepoRoot(%q, %q) = %q, want %q", c.wd, c.sp, got, c.want)
		}
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()

	for in, want := range map[string]string{"values-files": "VALUES_FILES", "image.tag": "IMAGE_TAG", "a/b~c": "A_B_C", "ok_9": "OK_9", "é": "_"} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// validSample is a valid value for the string parameters that check theirs.
var validSample = map[string]string{ParamHelmVersion: "3", ParamArgoCDVersion: "2.14"}

// TestEveryParameterReachable: every table row can be set by parameter and
// by both variables, with the collection the table says.
func TestEveryParameterReachable(t *testing.T) {
	t.Parallel()

	for _, p := range Parameters {
		var v param
		var envValue string
		switch p.Collection {
		case String:
			s := "x"
			switch {
			case p.ItemType == "boolean":
				s = "true"
			case p.Name == ParamDependencies:
				s = "none"
			}
			if v, ok := validSample[p.Name]; ok {
				s = v
			}
			v, envValue = param{name: p.Name, str: &s}, s
		case Array:
			v, envValue = param{name: p.Name, array: arr("x")}, "x"
		case Map:
			v, envValue = param{name: p.Name, mapped: mp("k", "x")}, "k=x"
		}
		for _, env := range [][]string{argoParamEnv([]param{v}), {p.AppEnvName() + "=" + envValue}, {p.EnvName() + "=" + envValue}} {
			in, err := FromEnv(env, wd)
			if err != nil {
				t.Fatalf("%s via %q: %v", p.Name, env, err)
			}
			if in.Origins[p.Name] == "default" {
				t.Errorf("%s via %q: not picked up", p.Name, env)
			}
		}
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// TestAllowEmptyOverridesFile: an allow-empty given as a parameter or a
// variable reaches the pipeline as an explicit value (so false wins over
// allowEmpty: true in syncwave.yaml); not given, the file decides.
func TestAllowEmptyOverridesFile(t *testing.T) {
	t.Parallel()

	wd := t.TempDir()
	for _, c := range []struct {
		env  []string
		want *bool
	}{
		{env: nil, want: nil},
		{env: []string{"PARAM_ALLOW_EMPTY=false"}, want: ptrBool(false)},
		{env: []string{"ARGOCD_ENV_SYNCWAVE_ALLOW_EMPTY=true"}, want: ptrBool(true)},
		{env: []string{"SYNCWAVE_ALLOW_EMPTY=false"}, want: ptrBool(false)},
	} {
		in, err := FromEnv(append([]string{"ARGOCD_APP_NAME=a", "ARGOCD_APP_SOURCE_PATH=."}, c.env...), wd)
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		got := in.PipelineOptions().AllowEmpty
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("%v: AllowEmpty %v, want %v", c.env, derefBool(got), derefBool(c.want))
		}
	}
}

func ptrBool(b bool) *bool { return &b }

func derefBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// TestManyUnknownParameters: 10,000 unknown parameters make one short
// message, not 10,000 lines in the Application's status.
func TestManyUnknownParameters(t *testing.T) {
	t.Parallel()

	var b strings.Builder
	b.WriteString("[")
	for i := range 10000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name":"p%d","string":"x"}`, i)
	}
	b.WriteString("]")
	var env []string
	for i := range 10000 {
		env = append(env, fmt.Sprintf("ARGOCD_ENV_SYNCWAVE_X%d=1", i))
	}
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"ARGOCD_APP_PARAMETERS", []string{EnvAppParameters + "=" + b.String()}},
		{"PARAM_*", func() (e []string) {
			for i := range 10000 {
				e = append(e, fmt.Sprintf("PARAM_P%d=x", i))
			}
			return
		}()},
		{"plugin.env", env},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromEnv(tc.env, "/repo/app")
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if len(msg) > 4000 {
				t.Fatalf("message is %d bytes:\n%.600s", len(msg), msg)
			}
			if !strings.Contains(msg, "more") {
				t.Errorf("message does not summarise the rest:\n%s", msg)
			}
		})
	}
}

// TestHelmVersionInput: helm-version reaches the pipeline from a parameter
// or either variable; an invalid value names the parameter and its origin.
func TestHelmVersionInput(t *testing.T) {
	t.Parallel()

	for _, c := range []struct {
		env  []string
		want string
		err  string
	}{
		{env: nil, want: ""},
		{env: []string{"SYNCWAVE_HELM_VERSION=3"}, want: "3"},
		{env: []string{"ARGOCD_ENV_SYNCWAVE_HELM_VERSION=v4", "SYNCWAVE_HELM_VERSION=3"}, want: "v4"},
		{env: []string{"PARAM_HELM_VERSION=3", "SYNCWAVE_HELM_VERSION=4"}, want: "3"},
		{env: []string{"SYNCWAVE_HELM_VERSION=2"}, err: `parameter "helm-version" (SYNCWAVE_HELM_VERSION): helm version "2": expected 3 or 4`},
	} {
		in, err := FromEnv(c.env, wd)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.env, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.env, err)
		}
		if in.HelmVersion != c.want || in.PipelineOptions().HelmVersion != c.want {
			t.Errorf("%q: helm version %q (pipeline %q), want %q", c.env, in.HelmVersion, in.PipelineOptions().HelmVersion, c.want)
		}
	}
}
