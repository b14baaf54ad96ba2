/**
 * The page shell every Phoenix HTML page shares (the migration report, the compatibility
 * matrix): one inline stylesheet, no scripts, nothing fetched when the page is opened (its
 * Content-Security-Policy refuses any load), and the escaping every user-given string goes through.
 */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Colours of the pages and their charts, so legends in HTML match the marks in SVG. */
export const Colour = {
  legacy: '#6b7280',
  new: '#d9480f',
  target: '#1c7ed6',
  parity: '#7048e8',
  good: '#2e7d32',
  bad: '#c62828',
  muted: '#9e9e9e',
  adapted: '#1565c0',
  warn: '#ef6c00',
} as const;

const STYLE = `
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:960px;margin:0 auto;padding:1.5rem 2rem 3rem;background:#fff;min-height:100vh;box-sizing:border-box}
h1{font-size:1.6rem;margin:.2rem 0 .4rem}h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.phx-sub{color:#59636e;margin:0 0 1rem}
.phx-badge{display:inline-block;padding:.05rem .55rem;border-radius:1rem;font-weight:600;font-size:.85rem;color:#fff;background:${Colour.muted}}
.phx-badge.completed,.phx-badge.unchanged{background:${Colour.good}}.phx-badge.rolled-back,.phx-badge.failing{background:${Colour.bad}}
.phx-badge.adapted{background:${Colour.adapted}}.phx-badge.missing{background:${Colour.warn}}
dl.phx-facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.6rem 0}dl.phx-facts dt{color:#59636e}dl.phx-facts dd{margin:0}
table{border-collapse:collapse;width:100%;margin:.4rem 0}td,th{padding:.3rem .6rem;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th{font-weight:600;color:#59636e;font-size:.85rem}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f6;padding:0 .25rem;border-radius:3px}
figure.phx-chart{margin:1.2rem 0;padding:.6rem .8rem;border:1px solid #e5e7eb;border-radius:6px}
figure.phx-chart svg{max-width:100%;height:auto}
figure.phx-chart figcaption{color:#59636e;font-size:.85rem;margin-top:.3rem}
p.phx-empty{color:#59636e;font-style:italic;margin:.6rem 0}
.phx-key{display:inline-flex;align-items:center;gap:.3rem;margin-right:1rem;font-size:.85rem}
.phx-key::before{content:"";width:.8rem;height:.8rem;border-radius:2px;background:var(--c)}
.phx-bar-row{display:flex;gap:1rem;align-items:center;margin:.3rem 0}.phx-bar-row .name{width:8rem}
.phx-bar{display:inline-block;width:20rem;height:.8rem;background:#eee;border-radius:.4rem;overflow:hidden}.phx-bar span{display:block;height:100%;background:${Colour.good}}
ul.phx-reasons{margin:.2rem 0 .6rem 1.2rem;padding:0;color:#59636e}
`;

/** A colour key in HTML (Plot's own legends would add more SVGs to the figure). */
export function key(items: readonly { label: string; colour: string }[]): string {
  return `<div class="phx-keys">${items.map((i) => `<span class="phx-key" style="--c:${i.colour}">${esc(i.label)}</span>`).join('')}</div>`;
}

/** A complete, self-contained page. `body` is trusted HTML; `title` is escaped here. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head><body><main>
${body}
</main></body></html>
`;
}
