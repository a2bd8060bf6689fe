// Parses Mermaid files with mermaid's own parser (no browser): exit 1 on the first error.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
let failed = false;
for (const f of process.argv.slice(2)) {
  try {
    await mermaid.parse(readFileSync(f, 'utf8'));
    console.log('ok ' + f);
  } catch (e) {
    failed = true;
    console.log('FAIL ' + f + ': ' + (e.message || e));
  }
}
process.exit(failed ? 1 : 0);
