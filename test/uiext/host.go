package uiext

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"
)

//go:embed host.html
var hostPage []byte

// ReactDir and ReactDOMDir hold Debian's UMD builds (packages node-react and
// node-react-dom).
const (
	ReactFile    = "/usr/share/nodejs/react/umd/react.production.min.js"
	ReactDOMFile = "/usr/share/nodejs/react-dom/umd/react-dom.production.min.js"
)

// Host serves the host page and React under /_host/ and sends every other
// request to Backend, so the page, the API and /extensions.js share one
// origin (and the session cookie), as in Argo CD's UI.
func Host(backend http.Handler) (http.Handler, error) {
	react, err := os.ReadFile(ReactFile)
	if err != nil {
		return nil, fmt.Errorf("React UMD build (apt-get install node-react node-react-dom): %w", err)
	}
	reactDOM, err := os.ReadFile(ReactDOMFile)
	if err != nil {
		return nil, fmt.Errorf("ReactDOM UMD build (apt-get install node-react-dom): %w", err)
	}
	mux := http.NewServeMux()
	serve := func(ctype string, b []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Write(b)
		}
	}
	mux.HandleFunc("/_host/index.html", serve("text/html; charset=utf-8", hostPage))
	mux.HandleFunc("/_host/react.js", serve("application/javascript", react))
	mux.HandleFunc("/_host/react-dom.js", serve("application/javascript", reactDOM))
	// An empty page of the origin, where OpenAs logs in.
	mux.HandleFunc("/_host/login.html", serve("text/html; charset=utf-8", []byte("<!doctype html><title>login</title>")))
	mux.Handle("/", backend)
	return mux, nil
}

// Proxy is a backend that forwards to a real argocd-server.
func Proxy(server string) (http.Handler, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	return httputil.NewSingleHostReverseProxy(u), nil
}

// Browser is a headless Chromium with a fresh profile.
type Browser struct {
	ctx    context.Context
	cancel func()
}

// ChromiumFlags are the flags the browser runs with (besides a fresh
// --user-data-dir).
var ChromiumFlags = []string{"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync"}

// NewBrowser starts Chromium (the chromium binary on PATH, else CHROMIUM).
func NewBrowser(profile string) (*Browser, error) {
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		p, err := exec.LookPath("chromium")
		if err != nil {
			return nil, fmt.Errorf("chromium not found (apt-get install chromium): %w", err)
		}
		bin = p
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(bin), chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900)}
	for _, f := range ChromiumFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	return &Browser{ctx: bctx, cancel: func() { bcancel(); acancel() }}, nil
}

// Close stops the browser.
func (b *Browser) Close() { b.cancel() }

// View is what the page shows, read from the DOM.
type View struct {
	Ready        string `json:"ready"`     // rendered, denied, error
	AppStatus    string `json:"appStatus"` // the HTTP status of GET /api/v1/applications/{name}
	Registered   string `json:"registered"`
	ResourceTabs string `json:"resourceTabs"`
	Origin       string `json:"origin"` // record, annotations
	Steps        []struct {
		Kind   string `json:"kind"`
		Name   string `json:"name"`
		Reason string `json:"reason"`
		Text   string `json:"text"`
	} `json:"steps"`
	Waves []struct {
		Title string `json:"title"`
		State string `json:"state"`
	} `json:"waves"`
	Contract string `json:"contract"` // the extension contract the page implemented: 2.14 (3 arguments) or 3.3
	Shown    string `json:"shown"`    // what shouldDisplay answered (always true on 2.14)
	Children []struct {
		Name string `json:"name"`
		Wave string `json:"wave"`
		Gate string `json:"gate"` // the parent's judgement (its tree)
		Own  string `json:"own"`  // the child's own status
	} `json:"children"`
	WaitsOn []string `json:"waitsOn"` // a running wave whose members all report Healthy: what it waits on
	Now     string   `json:"now"`
	Holders []string `json:"holders"`
	Gates   []string `json:"gates"`
	Text    string   `json:"text"`
	// Screenshot is a PNG of the whole page.
	Screenshot []byte `json:"-"`
}

const readView = `JSON.stringify((() => {
  const q = s => document.querySelector(s), all = s => [...document.querySelectorAll(s)];
  return {
    ready: document.body.dataset.ready || '', appStatus: document.body.dataset.appStatus || '',
    registered: document.body.dataset.registered || '', resourceTabs: document.body.dataset.resourceTabs || '',
    origin: q('[data-testid=sync-plan]') ? q('[data-testid=sync-plan]').dataset.origin : '',
    steps: all('[data-testid=step]').map(tr => ({kind: tr.dataset.kind, name: tr.dataset.name, reason: tr.querySelector('[data-testid=reason]').textContent, text: tr.textContent})),
    waves: all('[data-testid=wave]').map(w => ({title: w.textContent, state: w.dataset.state})),
    contract: document.body.dataset.contract || '', shown: document.body.dataset.shown || '',
    children: all('[data-testid=child]').map(c => ({name: c.dataset.name, wave: c.dataset.wave,
      gate: c.querySelector('[data-testid=child-gate]').textContent, own: c.querySelector('[data-testid=child-own]').textContent})),
    waitsOn: all('[data-testid=waits-on]').map(w => w.textContent),
    now: q('[data-testid=now]') ? q('[data-testid=now]').textContent : '',
    holders: all('[data-testid=holder]').map(h => h.textContent),
    gates: all('[data-testid=gate]').map(g => g.textContent),
    text: document.body.innerText,
  };
})())`

// ready is true once the host page has rendered the view (or given up).
const ready = `(() => {
  const r = document.body && document.body.dataset.ready;
  if (!r) return null;
  if (r !== 'rendered') return r;
  if (!document.querySelector('[data-testid=sync-plan],[data-testid=error]')) return null;
  // child Applications' own status arrives after the view renders
  return [...document.querySelectorAll('[data-testid=child-own]')].some(c => c.textContent === 'loading…') ? null : r;
})()`

// Open loads url in a fresh tab, waits for the view, reads it and takes a
// screenshot, then closes the tab.
func (b *Browser) Open(url string, timeout time.Duration) (*View, error) {
	return b.open(url, timeout, nil)
}

// OpenAs is Open after a login in the same fresh tab: on a page of the
// host's origin (base, e.g. http://127.0.0.1:PORT), the browser POSTs user
// and password to argocd-server's /api/v1/session, as Argo CD's login page
// does, and keeps the session cookie (argocd.token, HttpOnly) the answer
// sets; then path is loaded. The cookie replaces any earlier one, so each
// call is that user's own session.
func (b *Browser) OpenAs(base, user, password, path string, timeout time.Duration) (*View, error) {
	body, err := json.Marshal(map[string]string{"username": user, "password": password})
	if err != nil {
		return nil, err
	}
	login := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/_host/login.html")); err != nil {
			return fmt.Errorf("navigate %s/_host/login.html: %w", base, err)
		}
		js := `(() => { const x = new XMLHttpRequest(); x.open('POST', '/api/v1/session', false);
  x.setRequestHeader('Content-Type', 'application/json'); x.send(` + strconv.Quote(string(body)) + `);
  return String(x.status); })()`
		status, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			return fmt.Errorf("login as %s: %w", user, err)
		}
		if status != "200" {
			return fmt.Errorf("login as %s: POST /api/v1/session answered %s", user, status)
		}
		return nil
	})
	return b.open(base+path, timeout, login)
}

func (b *Browser) open(url string, timeout time.Duration, before chromedp.Action[chromedp.Void]) (*View, error) {
	var v View
	var actions []chromedp.Action[chromedp.Void]
	if before != nil {
		actions = append(actions, before)
	}
	actions = append(actions, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			return fmt.Errorf("navigate %s: %w", url, err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[string](ready)); err != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
			return fmt.Errorf("%s: the view did not render: %w; the page shows: %q", url, err, text)
		}
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](readView))
		if err != nil {
			return fmt.Errorf("read the view: %w", err)
		}
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return fmt.Errorf("read the view: %w", err)
		}
		v.Screenshot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		return err
	}))
	if err := b.Tab(timeout, actions...); err != nil {
		return nil, err
	}
	return &v, nil
}

// Tab opens a fresh tab (Argo CD's pages hold streams open; Chromium keeps
// six connections per host, so a reused tab can stall later requests), runs
// the actions in it with a deadline and closes it.
func (b *Browser) Tab(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	tctx, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	if err := chromedp.Do(tctx); err != nil { // the tab, without a deadline
		return err
	}
	dctx, dcancel := context.WithTimeout(tctx, timeout)
	defer dcancel()
	return chromedp.Do(dctx, append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(1280, 900)}, actions...)...)
}
