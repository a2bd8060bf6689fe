package plan

import (
	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
)

// clusterScoped lists the cluster-scoped kinds of Kubernetes 1.31 by
// "group/Kind". Argo CD's controller asks the cluster; the plan has no
// cluster, so it uses this table plus the CRDs in the same output.
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

// scopes answers "is this kind cluster-scoped" for one set of resources: the
// built-in table, and the CRDs of the set by their spec.scope. Kinds it does
// not know count as namespaced, as the controller treats an unknown scope.
type scopes map[string]bool

func newScopes(res []*manifest.Resource) scopes {
	s := scopes{}
	for k, v := range clusterScoped {
		s[k] = v
	}
	for _, r := range res {
		if c, ok := argocd.ReadCRD(r); ok && c.Scope == "Cluster" {
			s[c.Key()] = true
		}
	}
	return s
}

func (s scopes) cluster(r *manifest.Resource) bool { return s[r.Group()+"/"+r.Kind] }
