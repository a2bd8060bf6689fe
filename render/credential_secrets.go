package render

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// The secret values of the credential files, for the redaction of every
// message syncwave prints (internal/redact): the caller registers them
// before any step that reads the files runs, so that no message of any
// step (a library's included) can print them.

// RegistryConfigSecrets reads a registry credentials file (config.json)
// and returns its secret values: each entry's auth as written and
// decoded (the user name and the password, or the whole decoded text when
// it has no colon), password, identitytoken and registrytoken. A file that
// is not JSON gives the values of the lines that look like those fields.
//
// err reports an entry whose auth is not base64 of user:password, naming
// the entry but not the value (the library that reads the file quotes
// the decoded text, which is then the password, in its own message).
func RegistryConfigSecrets(file string) (secrets []string, err error) {
	data, err := readSmallFile(file)
	if err != nil {
		return nil, nil // the step that uses the file reports it
	}
	var doc struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return scanFields(data, registryField), nil
	}
	hosts := make([]string, 0, len(doc.Auths))
	for h := range doc.Auths {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var bad []string
	for _, h := range hosts {
		for k, v := range doc.Auths[h] {
			s, ok := v.(string)
			if !ok || s == "" {
				continue
			}
			switch strings.ToLower(k) {
			case "password", "identitytoken", "registrytoken":
				secrets = append(secrets, s)
			case "auth":
				secrets = append(secrets, s)
				dec, derr := base64.StdEncoding.DecodeString(s)
				if derr != nil {
					bad = append(bad, fmt.Sprintf("auths[%q].auth: not base64", h))
					continue
				}
				user, pass, ok := strings.Cut(string(dec), ":")
				if !ok {
					secrets = append(secrets, string(dec))
					bad = append(bad, fmt.Sprintf("auths[%q].auth: expected base64 of user:password, found no colon in the decoded text (not shown)", h))
					continue
				}
				secrets = append(secrets, user, pass)
			}
		}
	}
	if len(bad) > 0 {
		return secrets, fmt.Errorf("registry credentials file %s: %s", file, strings.Join(bad, "; "))
	}
	return secrets, nil
}

// RepositoryConfigSecrets reads a repositories.yaml file and returns its
// passwords, and the lines of its entries' key files (private keys).
// A file that does not parse gives the values of the lines that look
// like a password field.
func RepositoryConfigSecrets(file string) []string {
	data, err := readSmallFile(file)
	if err != nil {
		return nil
	}
	out := scanFields(data, repositoryField)
	var doc struct {
		Repositories []*RepoCredential `json:"repositories"`
	}
	if yaml.Unmarshal(data, &doc) != nil {
		return out
	}
	for _, e := range doc.Repositories {
		if e == nil {
			continue
		}
		out = append(out, e.Password)
		if e.KeyFile != "" {
			kf := e.KeyFile
			if !filepath.IsAbs(kf) {
				kf = filepath.Join(filepath.Dir(file), kf)
			}
			if key, err := readSmallFile(kf); err == nil {
				for _, l := range strings.Split(string(key), "\n") {
					if l = strings.TrimSpace(l); !strings.HasPrefix(l, "-----") {
						out = append(out, l)
					}
				}
			}
		}
	}
	return out
}

var (
	registryField   = regexp.MustCompile(`(?i)"(?:auth|password|identitytoken|registrytoken)"\s*:\s*"((?:[^"\\]|\\.)*)"`)
	repositoryField = regexp.MustCompile(`(?m)^[\s-]*["']?password["']?\s*:[ \t]*(.*?)[ \t]*$`)
)

// scanFields returns the values that re captures in data, as written
// and without quotes and YAML's indicators (a password written *x is the
// alias x to YAML, whose error quotes it).
func scanFields(data []byte, re *regexp.Regexp) []string {
	var out []string
	for _, m := range re.FindAllSubmatch(data, -1) {
		v := string(m[1])
		out = append(out, v, strings.Trim(v, `"'`), strings.TrimLeft(strings.Trim(v, `"'`), "*&!"))
		if dec, err := base64.StdEncoding.DecodeString(v); err == nil {
			u, p, ok := strings.Cut(string(dec), ":")
			if ok {
				out = append(out, u, p)
			} else {
				out = append(out, string(dec))
			}
		}
	}
	return out
}
