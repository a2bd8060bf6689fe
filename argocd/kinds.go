package argocd

import "github.com/syncwave/syncwave/manifest"

// kinds is gitops-engine's kindOrder (pkg/sync/sync_tasks.go, from Helm's
// kind_sorter). Each kind gets index-len(kinds), so every listed kind is
// negative and every other kind is 0: unknown kinds sort after all listed
// ones and tie with one another.
var kinds = []string{
	"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap",
	"StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
	"ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList",
	"Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
	"ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
	"StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
}

var kindOrder = func() map[string]int {
	m := make(map[string]int, len(kinds))
	for i, k := range kinds {
		m[k] = i - len(kinds)
	}
	return m
}()

// KindOrder is the engine's rank of a kind: negative for the kinds of its
// table (Namespace first), 0 for every other kind.
func KindOrder(kind string) int { return kindOrder[kind] }

// clusterScoped lists the cluster-scoped kinds of Kubernetes 1.31 by
// "group/Kind". Argo CD's controller asks the cluster; without a cluster
// this table stands in for it, plus the CRDs in the same output (Scopes).
var clusterScoped = map[string]bool{
	"/Namespace": true, "/Node": true, "/PersistentVolume": true, "/ComponentStatus": true,
	"admissionregistration.k8s.io/MutatingWebhookConfiguration":     true,
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration":   true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy":        true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": true,
	"apiextensions.k8s.io/CustomResourceDefinition":                 true,
	"apiregistration.k8s.io/APIService":                             true,
	"certificates.k8s.io/CertificateSigningRequest":                 true,
	"certificates.k8s.io/ClusterTrustBundle":                        true,
	"flowcontrol.apiserver.k8s.io/FlowSchema":                       true,
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration":       true,
	"networking.k8s.io/IngressClass":                                true,
	"networking.k8s.io/IPAddress":                                   true,
	"networking.k8s.io/ServiceCIDR":                                 true,
	"node.k8s.io/RuntimeClass":                                      true,
	"policy/PodSecurityPolicy":                                      true,
	"rbac.authorization.k8s.io/ClusterRole":                         true,
	"rbac.authorization.k8s.io/ClusterRoleBinding":                  true,
	"resource.k8s.io/DeviceClass":                                   true,
	"scheduling.k8s.io/PriorityClass":                               true,
	"storage.k8s.io/CSIDriver":                                      true,
	"storage.k8s.io/CSINode":                                        true,
	"storage.k8s.io/StorageClass":                                   true,
	"storage.k8s.io/VolumeAttachment":                               true,
}

// Scopes answers "is this kind cluster-scoped" for one set of resources:
// the built-in table, and the CRDs of the set by their spec.scope. Kinds it
// does not know count as namespaced, as the controller treats an unknown
// scope.
type Scopes map[string]bool

// NewScopes returns the scopes of res.
func NewScopes(res []*manifest.Resource) Scopes {
	s := Scopes{}
	for k, v := range clusterScoped {
		s[k] = v
	}
	for _, r := range res {
		if c, ok := ReadCRD(r); ok && c.Scope == "Cluster" {
			s[c.Key()] = true
		}
	}
	return s
}

// Cluster reports whether r's kind is cluster-scoped.
func (s Scopes) Cluster(r *manifest.Resource) bool { return s[r.Group()+"/"+r.Kind] }
