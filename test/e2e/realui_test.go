//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/syncwave/syncwave/test/uiext"
)

// The Sync plan view in Argo CD's own UI (opt-in: E2E_REAL_UI=1).
//
// CI builds argocd from the module proxy, whose ui/dist/app holds no UI, so
// its argocd-server has no page to load the extension in; TestArgoCDServer
// then uses the host page of test/uiext. An argocd built with the UI embedded
// (ui/dist/app of `yarn build` in place at `go build`; see the README) serves
// the real one, and this step drives it: the login form, the Application
// page, the view button the extension registers, the view itself, and every
// console message of the page.

// realUIView reads the view from the DOM of Argo CD's page.
const realUIView = `JSON.stringify((() => {
  const q = s => document.querySelector(s), all = s => [...document.querySelectorAll(s)];
  return {
    origin: q('[data-testid=sync-plan]') ? q('[data-testid=sync-plan]').dataset.origin : '',
    steps: all('[data-testid=step]').map(tr => ({kind: tr.dataset.kind, name: tr.dataset.name, reason: tr.querySelector('[data-testid=reason]').textContent})),
    waves: all('[data-testid=wave]').map(w => ({title: w.textContent, state: w.dataset.state})),
    now: q('[data-testid=now]') ? q('[data-testid=now]').textContent : '',
    holders: all('[data-testid=holder]').map(h => h.textContent),
    react: (window.React && window.React.version) || '',
    views: all('.application-details__view-type i').map(i => i.title).join(','),
    location: location.pathname + location.search,
    holderIndent: (() => {
      const u = q('[data-testid=now] ul');
      if (!u) return -1;
      const c = getComputedStyle(u);
      return c.listStylePosition === 'inside' ? 99 : parseFloat(c.paddingLeft) + parseFloat(c.marginLeft);
    })(),
  };
})())`

type realView struct {
	Origin string `json:"origin"`
	Steps  []struct {
		Kind, Name, Reason string
	} `json:"steps"`
	Waves []struct {
		Title string `json:"title"`
		State string `json:"state"`
	} `json:"waves"`
	Now      string   `json:"now"`
	Holders  []string `json:"holders"`
	React    string   `json:"react"`
	Views    string   `json:"views"`
	Location string   `json:"location"`
	// HolderIndent is the left padding plus margin of the list of holders
	// (px; 99 when its bullets are inside, -1 without a list).
	HolderIndent float64 `json:"holderIndent"`
}

// realUI logs in to argocd-server's own UI as user, opens lab's page, clicks
// the "Sync plan" view button, checks the steps against the plan, then opens
// held's page with ?view=Sync plan and checks the running wave and its
// holder. Screenshots realui-*.png and the console (realui-console.txt) go
// to shots.
func realUI(t *testing.T, server, user, password, lab, held string, steps []planStep, pg planStep, healthMsg, shots string) {
	if os.Getenv("E2E_REAL_UI") != "1" {
		t.Skip("E2E_REAL_UI is not 1: Argo CD's own UI is checked only with an argocd built with its UI embedded (E2E_ARGOCD_BIN; see test/e2e/README.md)")
	}
	base := "http://" + server
	// argocd-server answers a page of the UI with its embedded index.html
	// only when the request accepts text/html; without a UI that is a 500
	// ("open dist/app/index.html: file does not exist").
	req, _ := http.NewRequest(http.MethodGet, base+"/login", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte("extensions.js")) {
		t.Fatalf("E2E_REAL_UI=1, but argocd-server answers GET /login (Accept: text/html) with %d %.200q: this argocd has no UI embedded (build it with ui/dist/app in place)",
			resp.StatusCode, page)
	}

	b, err := uiext.NewBrowser(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	var mu sync.Mutex
	var console []chromedp.ConsoleMessage
	var lab1, held1 realView
	shot := func(ctx context.Context, name string) error {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(shots, "realui-"+name+".png"), png, 0o644)
	}
	read := func(ctx context.Context, v *realView) error {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](realUIView))
		if err != nil {
			return fmt.Errorf("read the view: %w", err)
		}
		return json.Unmarshal([]byte(s), v)
	}
	step := func(what string, a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			t0 := time.Now()
			if _, err := a(ctx, tg); err != nil {
				text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
				shot(ctx, "failed")
				return fmt.Errorf("%s: %w; the page shows: %q", what, err, text)
			}
			t.Logf("real UI: %s (%.1fs)", what, time.Since(t0).Seconds())
			return nil
		})
	}
	// The view has rendered its steps (or said why not).
	const rendered = `document.querySelector('[data-testid=sync-plan] [data-testid=step],[data-testid=error]') ? location.href : null`
	viewButton := chromedp.CSS(`.application-details__view-type i[title="Sync plan"]`)

	err = b.Tab(3*time.Minute,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			msgs := chromedp.Console(ctx)
			go func() {
				for m, err := range msgs {
					if err != nil {
						return
					}
					mu.Lock()
					console = append(console, m)
					mu.Unlock()
				}
			}()
			return nil
		}),
		// Taller than uiext's 1280x900: Argo CD's page scrolls inside its
		// own container, so a full-page screenshot is one viewport.
		chromedp.EmulateViewport(1280, 2000),
		step("login form", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			return chromedp.Do(ctx,
				chromedp.Navigate(base+"/login"),
				chromedp.WaitVisible(chromedp.CSS(`input[type=password]`)),
				chromedp.SendKeys(chromedp.CSS(`form input:not([type=password])`), user),
				chromedp.SendKeys(chromedp.CSS(`input[type=password]`), password),
				chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error { return shot(ctx, "login") }),
				chromedp.Click(chromedp.CSS(`button[type=submit]`)),
				chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
					_, err := chromedp.Run(ctx, chromedp.Poll[string](`location.pathname.startsWith('/applications') ? location.pathname : null`))
					return err
				}),
			)
		})),
		step("applications list", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`.applications-list, .applications-tiles, .applications-table`)),
				chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error { return shot(ctx, "applications") }))
		})),
		step(lab+" page with the Sync plan view button", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			return chromedp.Do(ctx, chromedp.Navigate(base+"/applications/"+argocdNS+"/"+lab+"?view=tree"),
				chromedp.WaitVisible(viewButton),
				chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error { return shot(ctx, "lab-tree") }))
		})),
		step("click Sync plan; "+lab+"'s view renders", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if err := chromedp.Do(ctx, chromedp.Click(viewButton)); err != nil {
				return err
			}
			if _, err := chromedp.Run(ctx, chromedp.Poll[string](rendered)); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Sleep(500*time.Millisecond)); err != nil { // the tree stream's next render
				return err
			}
			if err := read(ctx, &lab1); err != nil {
				return err
			}
			return shot(ctx, "lab")
		})),
		step(held+"'s view from ?view=Sync plan", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+"/applications/"+argocdNS+"/"+held+"?view="+url.QueryEscape("Sync plan"))); err != nil {
				return err
			}
			if _, err := chromedp.Run(ctx, chromedp.Poll[string](`(document.querySelector('[data-testid=now]') && document.querySelector('[data-testid=holder]')) ? location.href : null`)); err != nil {
				return err
			}
			if err := read(ctx, &held1); err != nil {
				return err
			}
			return shot(ctx, "held")
		})),
		// The console stream delivers from another goroutine: let it drain.
		chromedp.Sleep(time.Second),
	)

	mu.Lock()
	msgs := append([]chromedp.ConsoleMessage(nil), console...)
	mu.Unlock()
	var log strings.Builder
	var fromExt []string
	for _, m := range msgs {
		where := m.URL
		if m.Stack != nil && len(m.Stack.CallFrames) > 0 && where == "" {
			where = m.Stack.CallFrames[0].URL
		}
		fmt.Fprintf(&log, "%s [%s:%d:%d]\n", m, where, m.Line, m.Column)
		if m.Type == chromedp.ConsoleError || m.IsException() {
			ext := strings.Contains(where, "extensions.js")
			if m.Stack != nil {
				for _, f := range m.Stack.CallFrames {
					ext = ext || strings.Contains(f.URL, "extensions.js")
				}
			}
			if ext {
				fromExt = append(fromExt, m.String())
			}
		}
	}
	os.WriteFile(filepath.Join(shots, "realui-console.txt"), []byte(log.String()), 0o644)
	t.Logf("real UI console (%d messages, also in %s):\n%s", len(msgs), filepath.Join(shots, "realui-console.txt"), log.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("real UI: React %s; view buttons %s; %s at %s", lab1.React, lab1.Views, lab, lab1.Location)
	if len(fromExt) > 0 {
		t.Errorf("errors from /extensions.js in Argo CD's UI:\n%s", strings.Join(fromExt, "\n"))
	}

	if !strings.Contains(lab1.Location, "view=Sync") {
		t.Errorf("after the click the page is %s, not the Sync plan view", lab1.Location)
	}
	if lab1.Origin != "record" {
		t.Errorf("%s's view: origin %q, want record", lab, lab1.Origin)
	}
	if len(lab1.Steps) != len(steps) {
		t.Fatalf("%s's view shows %d steps, the plan has %d", lab, len(lab1.Steps), len(steps))
	}
	for i, s := range steps {
		if got := lab1.Steps[i]; got.Kind != s.Kind || got.Name != s.Name || got.Reason != s.Reason {
			t.Errorf("step %d: %s %s %q, plan says %s %s %q", i, got.Kind, got.Name, got.Reason, s.Kind, s.Name, s.Reason)
		}
	}
	if lab1.Now != "" || len(lab1.Holders) != 0 {
		t.Errorf("%s: a finished sync shows a running wave: %q, holders %q", lab, lab1.Now, lab1.Holders)
	}
	wave := fmt.Sprintf("Running: %s wave %d", pg.Phase, pg.Wave)
	if !strings.Contains(held1.Now, wave) {
		t.Errorf("%s's view does not say %q: %q", held, wave, held1.Now)
	}
	if len(held1.Holders) != 1 || !strings.Contains(held1.Holders[0], "postgresql: ") || !strings.Contains(held1.Holders[0], "Progressing: "+healthMsg) {
		t.Errorf("%s: holders %q; want Deployment postgresql, Progressing: %s", held, held1.Holders, healthMsg)
	}
	// Argo CD's stylesheet (Foundation) zeroes a list's padding and indents
	// it with margin-left instead: a list whose style sets its margin has
	// its bullets outside the box it is in.
	if held1.HolderIndent < 10 {
		t.Errorf("%s: the list of holders is indented %gpx (padding + margin): its bullets hang outside the box of the running wave", held, held1.HolderIndent)
	}
	running := 0
	for _, w := range held1.Waves {
		if w.State == "running" {
			running++
			if !strings.HasPrefix(w.Title, fmt.Sprintf("%s wave %d ", pg.Phase, pg.Wave)) {
				t.Errorf("%s: wave %q is running, want %s wave %d", held, w.Title, pg.Phase, pg.Wave)
			}
		}
	}
	if running != 1 {
		t.Errorf("%s: %d running waves, want 1: %v", held, running, held1.Waves)
	}
}
