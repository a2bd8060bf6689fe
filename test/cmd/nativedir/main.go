// Command nativedir is the reference of hack/bench-directory.sh: Argo CD
// v2.14.21's repo-server manifest generation (repository.GenerateManifests,
// the code behind every Application) for a directory source, run on DIR as
// the application path and the repository root. Every .yaml/.yml/.json file
// is read and every document parsed into an unstructured object, each
// object encoded as JSON, exactly as the repo-server does before it answers
// the controller; the manifests are printed one per line.
//
//	go run ./cmd/nativedir [-recurse] [-app NAME] DIR
//
// With -app, the objects also get Argo CD's tracking label and annotation,
// as for a real Application; without it (the default, and what the
// benchmark runs) they do not, since the repo-server adds tracking to a
// plugin's output too.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v2/reposerver/apiclient"
	"github.com/argoproj/argo-cd/v2/reposerver/repository"
	"github.com/argoproj/argo-cd/v2/util/git"
	log "github.com/sirupsen/logrus"
	"k8s.io/apimachinery/pkg/api/resource"
)

func main() {
	recurse := flag.Bool("recurse", false, "the directory source's recurse")
	app := flag.String("app", "", "application name: adds Argo CD's tracking label and annotation")
	maxSize := flag.String("max-size", "10M", "the repo-server's --max-combined-directory-manifests-size")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: nativedir [-recurse] [-app NAME] DIR")
		os.Exit(2)
	}
	log.SetLevel(log.WarnLevel)
	if err := run(flag.Arg(0), *recurse, *app, *maxSize); err != nil {
		fmt.Fprintln(os.Stderr, "nativedir:", err)
		os.Exit(1)
	}
}

func run(dir string, recurse bool, app, maxSize string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	size, err := resource.ParseQuantity(maxSize)
	if err != nil {
		return fmt.Errorf("-max-size: %w", err)
	}
	q := &apiclient.ManifestRequest{
		Repo:              &v1alpha1.Repository{Repo: "https://git.example.com/bench.git"},
		Revision:          "0123456789abcdef0123456789abcdef01234567",
		AppName:           app,
		Namespace:         "default",
		ApplicationSource: &v1alpha1.ApplicationSource{Path: ".", Directory: &v1alpha1.ApplicationSourceDirectory{Recurse: recurse}},
	}
	if app != "" {
		q.AppLabelKey = "app.kubernetes.io/instance"
		q.TrackingMethod = "annotation+label"
	}
	resp, err := repository.GenerateManifests(context.Background(), dir, dir, q.Revision, q, false, git.NoopCredsStore{}, size, nil)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	for _, m := range resp.Manifests {
		w.WriteString(m)
		w.WriteByte('\n')
	}
	return w.Flush()
}
