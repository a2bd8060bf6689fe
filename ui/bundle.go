package ui

import (
	"archive/tar"
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

// FileName is the bundle's name inside the tar: Argo CD serves every
// /tmp/extensions/**/extension*.js file concatenated as /extensions.js.
const FileName = "extension-syncwave.js"

// TarPath is where the installer (argocd-extension-installer) and a
// volume mounted at /tmp/extensions expect the file.
const TarPath = "resources/" + FileName

// NamePattern is Argo CD's rule for an extension file name.
var NamePattern = regexp.MustCompile(`^extension(.*)\.js$`)

// Bundle bundles dir/index.tsx (and what it imports) into one minified
// IIFE. React and ReactDOM are never bundled: the JSX becomes
// React.createElement calls on the page's global React, and an import of
// react fails the build.
func Bundle(dir string) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{filepath.Join(abs, "index.tsx")},
		AbsWorkingDir:     abs,
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		Platform:          api.PlatformBrowser,
		Target:            api.ES2017,
		JSX:               api.JSXTransform,
		JSXFactory:        "React.createElement",
		JSXFragment:       "React.Fragment",
		MinifyWhitespace:  true,
		MinifySyntax:      true,
		MinifyIdentifiers: true,
		Charset:           api.CharsetUTF8,
		LegalComments:     api.LegalCommentsNone,
		LogLevel:          api.LogLevelSilent,
		// Only the files of dir: no node_modules, no package resolution.
		Plugins: []api.Plugin{{Name: "local-only", Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: `^[^./]`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				return api.OnResolveResult{}, fmt.Errorf("import %q: the extension imports only its own files (React is the page's global)", a.Path)
			})
		}}},
	})
	if msgs := append(res.Errors, res.Warnings...); len(msgs) > 0 {
		var b strings.Builder
		for _, m := range msgs {
			if m.Location != nil {
				fmt.Fprintf(&b, "%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			b.WriteString(m.Text)
			b.WriteByte('\n')
		}
		return nil, fmt.Errorf("bundle %s:\n%s", dir, strings.TrimRight(b.String(), "\n"))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle %s: %d output files, expected 1", dir, len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

// Tar returns the installer's archive: resources/ and resources/FileName,
// with fixed owners, modes and times, so equal bundles give equal bytes.
func Tar(js []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	hdrs := []*tar.Header{
		{Typeflag: tar.TypeDir, Name: "resources/", Mode: 0o755, ModTime: epoch, Format: tar.FormatUSTAR},
		{Typeflag: tar.TypeReg, Name: TarPath, Mode: 0o644, Size: int64(len(js)), ModTime: epoch, Format: tar.FormatUSTAR},
	}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	if _, err := tw.Write(js); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
