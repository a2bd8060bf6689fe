package planfidelity

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	gosync "sync"
	"testing"

	"github.com/argoproj/gitops-engine/pkg/sync"
	"github.com/argoproj/gitops-engine/pkg/sync/common"
	"github.com/argoproj/gitops-engine/pkg/sync/hook"
	"github.com/argoproj/gitops-engine/pkg/utils/kube"
	"github.com/argoproj/gitops-engine/pkg/utils/kube/kubetest"
	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// engineTask is one task of the engine's sorted list.
type engineTask struct {
	Phase     string
	Wave      int
	Hook      bool
	Group     string
	Kind      string
	Namespace string // as the engine sees it: the destination filled in
	Name      string
	Tie       int // the plan's tie number (plan tasks only); not part of String
}

func (t engineTask) String() string {
	h := "resource"
	if t.Hook {
		h = "hook"
	}
	return fmt.Sprintf("%s/%d %s %s/%s:%s/%s", t.Phase, t.Wave, h, t.Group, t.Kind, t.Namespace, t.Name)
}

// syncTask.String(): "%s/%d %s %s/%s:%s/%s %s->%s (%s,%s,%s)".
var taskRE = regexp.MustCompile(`^(\w+)/(-?\d+) (hook|resource) ([^/]*)/([^:]*):([^/]*)/(\S+) `)

func parseTask(s string) (engineTask, error) {
	m := taskRE.FindStringSubmatch(s)
	if m == nil {
		return engineTask{}, fmt.Errorf("cannot parse engine task %q", s)
	}
	w, _ := strconv.Atoi(m[2])
	return engineTask{Phase: m[1], Wave: w, Hook: m[3] == "hook", Group: m[4], Kind: m[5], Namespace: m[6], Name: m[7]}, nil
}

// taskSink is a logr sink that keeps the task list the engine logs right
// before its dry run ("Tasks (dry-run)"): the list after syncTasks.Sort(),
// which is the order the engine runs the phases and waves in.
type taskSink struct {
	mu     *gosync.Mutex
	tasks  *[]string
	values []any
}

func (s taskSink) Init(logr.RuntimeInfo)  {}
func (s taskSink) Enabled(level int) bool { return level == 0 }
func (s taskSink) Error(error, string, ...any) {
}
func (s taskSink) WithName(string) logr.LogSink { return s }
func (s taskSink) WithValues(kv ...any) logr.LogSink {
	s.values = append(append([]any{}, s.values...), kv...)
	return s
}

func (s taskSink) Info(_ int, msg string, kv ...any) {
	if msg != "Tasks (dry-run)" {
		return
	}
	all := append(append([]any{}, s.values...), kv...)
	for i := 0; i+1 < len(all); i += 2 {
		if all[i] != "tasks" {
			continue
		}
		v := reflect.ValueOf(all[i+1])
		s.mu.Lock()
		for j := 0; j < v.Len(); j++ {
			*s.tasks = append(*s.tasks, v.Index(j).Interface().(fmt.Stringer).String())
		}
		s.mu.Unlock()
	}
}

// apiKind is one kind the in-memory API serves.
type apiKind struct {
	APIVersion string
	Kind       string
	Namespaced bool
}

// fakeAPI serves discovery for the given kinds and reports every CRD as
// established: all the engine asks of the API server before and during the
// first wave (resource operations go to kubetest.MockResourceOps).
func fakeAPI(kinds []apiKind) *httptest.Server {
	byGV := map[string][]metav1.APIResource{}
	for _, k := range kinds {
		gv, _ := schema.ParseGroupVersion(k.APIVersion)
		byGV[k.APIVersion] = append(byGV[k.APIVersion], metav1.APIResource{
			Name: strings.ToLower(k.Kind) + "s", Kind: k.Kind, Group: gv.Group, Version: gv.Version,
			Namespaced: k.Namespaced, Verbs: metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"},
		})
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		p := r.URL.Path
		if strings.HasPrefix(p, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/") {
			name := strings.TrimPrefix(p, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
				"metadata": map[string]any{"name": name},
				"status":   map[string]any{"conditions": []any{map[string]any{"type": "Established", "status": "True"}}},
			})
			return
		}
		var gv string
		switch {
		case p == "/api/v1":
			gv = "v1"
		case strings.HasPrefix(p, "/apis/") && strings.Count(p, "/") == 3:
			gv = strings.TrimPrefix(p, "/apis/")
		}
		res, ok := byGV[gv]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: "Failure", Reason: metav1.StatusReasonNotFound, Code: 404})
			return
		}
		_ = json.NewEncoder(w).Encode(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv, APIResources: res})
	}))
}

// scopeInfo is the cluster's answer to "is this kind namespaced" (the
// controller's cluster cache): the served kinds; unknown kinds give an error.
type scopeInfo map[schema.GroupKind]bool

func (s scopeInfo) IsNamespaced(gk schema.GroupKind) (bool, error) {
	n, ok := s[gk]
	if !ok {
		return false, fmt.Errorf("unknown kind %s", gk)
	}
	return n, nil
}

// deduplicateTargetObjects is Argo CD v2.14.21's controller/state.go
// DeduplicateTargetObjects (the controller module cannot share this build):
// cluster-scoped objects lose their namespace, namespaced ones without one get
// the destination's, and the last object of a key wins.
func deduplicateTargetObjects(namespace string, objs []*unstructured.Unstructured, info kube.ResourceInfoProvider) []*unstructured.Unstructured {
	targetByKey := map[kube.ResourceKey][]*unstructured.Unstructured{}
	var keys []kube.ResourceKey
	for i, obj := range objs {
		if !kube.IsNamespacedOrUnknown(info, obj.GroupVersionKind().GroupKind()) {
			obj.SetNamespace("")
		} else if obj.GetNamespace() == "" {
			obj.SetNamespace(namespace)
		}
		key := kube.GetResourceKey(obj)
		if key.Name == "" && obj.GetGenerateName() != "" {
			key.Name = fmt.Sprintf("%s%d", obj.GetGenerateName(), i)
		}
		if _, ok := targetByKey[key]; !ok {
			keys = append(keys, key)
		}
		targetByKey[key] = append(targetByKey[key], obj)
	}
	var out []*unstructured.Unstructured
	for _, k := range keys {
		out = append(out, targetByKey[k][len(targetByKey[k])-1])
	}
	return out
}

// engineRun is what the engine did with one resource set.
type engineRun struct {
	Tasks     []engineTask
	FirstWave []common.ResourceSyncResult // results of the first Sync() call, by Order
	Survivors []*unstructured.Unstructured
	Policies  map[string][]common.HookDeletePolicy // by task identity
	Phase     common.OperationPhase
	Message   string
	rawTasks  []string
}

// runEngine drives gitops-engine as Argo CD v2.14.21's controller does for a
// first sync of a new application: deduplicate the targets, Reconcile with
// no live objects, NewSyncContext with the controller's relevant options,
// one Sync() call (dry run of everything, then the first phase and wave).
func runEngine(t *testing.T, objs []*unstructured.Unstructured, kinds, scopes []apiKind, destNS string) engineRun {
	t.Helper()
	info := scopeInfo{}
	for _, k := range scopes {
		gv, _ := schema.ParseGroupVersion(k.APIVersion)
		info[schema.GroupKind{Group: gv.Group, Kind: k.Kind}] = k.Namespaced
	}
	srv := fakeAPI(kinds)
	defer srv.Close()

	targets := deduplicateTargetObjects(destNS, objs, info)
	rec := sync.Reconcile(targets, map[kube.ResourceKey]*unstructured.Unstructured{}, destNS, info)

	var mu gosync.Mutex
	var logged []string
	cfg := &rest.Config{Host: srv.URL}
	ctx, cleanup, err := sync.NewSyncContext("0123456789abcdef", rec, cfg, cfg, &kubetest.MockKubectlCmd{}, destNS, nil,
		sync.WithLogr(logr.New(taskSink{mu: &mu, tasks: &logged})),
		sync.WithOperationSettings(false, false, false, false),
		sync.WithResourcesFilter(func(kube.ResourceKey, *unstructured.Unstructured, *unstructured.Unstructured) bool { return true }),
		sync.WithManifestValidation(true),
		sync.WithPruneLast(false),
	)
	if err != nil {
		t.Fatalf("NewSyncContext: %v", err)
	}
	defer cleanup()
	ctx.Sync()
	var run engineRun
	run.Phase, run.Message, run.FirstWave = ctx.GetState()
	run.rawTasks = logged
	for _, s := range logged {
		et, err := parseTask(s)
		if err != nil {
			t.Fatal(err)
		}
		run.Tasks = append(run.Tasks, et)
	}
	run.Survivors = append(append([]*unstructured.Unstructured{}, rec.Target...), rec.Hooks...)
	run.Policies = map[string][]common.HookDeletePolicy{}
	for _, o := range rec.Hooks {
		run.Policies[objKey(o, destNS)] = hook.DeletePolicies(o)
	}
	return run
}

// objKey identifies an object as the engine's tasks name it.
func objKey(o *unstructured.Unstructured, destNS string) string {
	ns := o.GetNamespace()
	if ns == "" {
		ns = destNS
	}
	return o.GroupVersionKind().Group + "/" + o.GetKind() + ":" + ns + "/" + o.GetName()
}
