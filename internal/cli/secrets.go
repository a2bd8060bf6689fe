package cli

import (
	"github.com/syncwave/syncwave/internal/redact"
	"github.com/syncwave/syncwave/render"
)

// registerSecrets registers with s every credential value syncwave may
// load: SYNCWAVE_REPO_USERNAME and SYNCWAVE_REPO_PASSWORD, the secrets of
// the registry credentials file (SYNCWAVE_REGISTRY_CONFIG, else
// HELM_REGISTRY_CONFIG) and of the repositories.yaml file
// (SYNCWAVE_REPOSITORY_CONFIG, else HELM_REPOSITORY_CONFIG). Main does it
// before any command runs, so that no message of any step can print them;
// a file that cannot be read is left to the step that reads it.
//
// The error is the registry file's: an entry whose auth is not base64 of
// user:password (see render.RegistryConfigSecrets).
func registerSecrets(s *redact.Secrets, getenv func(string) string) error {
	s.Add(getenv(render.EnvRepoPassword), getenv(render.EnvRepoUsername))
	var err error
	for _, v := range []string{render.EnvRegistryConfig, "HELM_REGISTRY_CONFIG"} {
		if f := getenv(v); f != "" {
			var vals []string
			vals, err = render.RegistryConfigSecrets(f)
			s.Add(vals...)
			break
		}
	}
	for _, v := range []string{render.EnvRepositoryConfig, "HELM_REPOSITORY_CONFIG"} {
		if f := getenv(v); f != "" {
			s.Add(render.RepositoryConfigSecrets(f)...)
			break
		}
	}
	return err
}
