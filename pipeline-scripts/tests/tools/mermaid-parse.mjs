// Parses Mermaid diagrams with Mermaid's own parser (the one GitLab's renderer uses).
// Input on stdin: a JSON array of diagram sources. Output: a JSON array, one entry per diagram:
// {"ok": true, "type": "flowchart-v2"} or {"ok": false, "error": "..."}.
// Run with the working directory holding node_modules/mermaid and node_modules/jsdom
// (make tools installs them under .venv/tools/mermaid).
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(source);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (error) {
    results.push({ ok: false, error: String(error.message || error).split('\n').slice(0, 4).join(' ') });
  }
}
process.stdout.write(JSON.stringify(results));
