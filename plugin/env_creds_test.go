package plugin

import (
	"strings"
	"testing"
)

// The credential variables of init are known in the sidecar; a misspelt one
// is a warning that lists them and never shows its value.
func TestRepositoryCredentialVariables(t *testing.T) {
	t.Parallel()

	const secret = "hunter2-secret-value"
	in, err := FromEnv([]string{EnvRepoURL + "=https://h", EnvRepoUsername + "=u", EnvRepoPassword + "=" + secret, EnvRepositoryConfig + "=/r.yaml"}, "/repo/app")
	if err != nil || len(in.Warnings) != 0 {
		t.Fatalf("known variables: %v %v", err, in.Warnings)
	}
	in, err = FromEnv([]string{"SYNCWAVE_REPO_PASWORD=" + secret}, "/repo/app")
	if err != nil || len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "unknown variable SYNCWAVE_REPO_PASWORD") ||
		!strings.Contains(in.Warnings[0], EnvRepoPassword) || strings.Contains(in.Warnings[0], secret) {
		t.Fatalf("misspelt variable: %v %q", err, in.Warnings)
	}
	// An Application's plugin.env cannot set them.
	_, err = FromEnv([]string{"ARGOCD_ENV_" + EnvRepoPassword + "=" + secret}, "/repo/app")
	if err == nil || !strings.Contains(err.Error(), "ARGOCD_ENV_"+EnvRepoPassword+": "+EnvRepoPassword+" is set in the sidecar's environment by the operator, not through an Application's plugin.env") || strings.Contains(err.Error(), secret) {
		t.Fatalf("plugin.env: %v", err)
	}
}
