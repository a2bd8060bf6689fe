package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// redisRepo serves a chart repository on 127.0.0.1 under prefix ("" or
// "/charts") holding one chart, redis 19.2.0, whose template renders the
// ConfigMap <release>-redis. With user set, every request needs those basic
// auth credentials. hits counts the requests. The server is closed with
// the test.
func redisRepo(t *testing.T, prefix, user, pass string) (srv *httptest.Server, hits *atomic.Int64) {
	t.Helper()
	p, err := chartutil.Save(&chart.Chart{
		Metadata:  &chart.Metadata{APIVersion: "v2", Name: "redis", Version: "19.2.0"},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-redis\n")}},
	}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	archive, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(archive)
	index := fmt.Sprintf("apiVersion: v1\nentries:\n  redis:\n  - name: redis\n    version: 19.2.0\n    urls: [redis-19.2.0.tgz]\n    digest: %s\n", hex.EncodeToString(sum[:]))
	hits = new(atomic.Int64)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if u, p, ok := r.BasicAuth(); user != "" && (!ok || u != user || p != pass) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case prefix + "/index.yaml":
			w.Write([]byte(index))
		case prefix + "/redis-19.2.0.tgz":
			w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}
