// The report's HTML: escaping, tables, and the page around the sections: one file with its style
// inline, no script and nothing fetched, so it opens offline and can be mailed.

/** A table cell: text, or text with the number it shows (data-value, for tests and tools) or a longer form on hover. */
export type Cell = string | { text: string; value?: number; title?: string };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

export function table(head: readonly string[], rows: readonly (readonly Cell[])[], className: string): string {
  const cell = (c: Cell) => {
    if (typeof c === 'string') return `<td>${esc(c)}</td>`;
    const value = c.value === undefined ? '' : ` data-value="${c.value}"`;
    const title = c.title === undefined ? '' : ` title="${esc(c.title)}"`;
    return `<td${value}${title}>${esc(c.text)}</td>`;
  };
  return [
    `<table class="${className}">`,
    `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

/** A chart: its SVG, and its data as JSON that no browser runs (type application/json), for readers and tests. */
export function figure(title: string, svg: string, data: unknown): string {
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<figure class="chart" data-title="${esc(title)}">${svg}<script type="application/json" class="chart-data">${json}</script></figure>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1d1d1f; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub, .note { color: #666; } .note { font-size: 13px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f7; } td[data-value] { text-align: right; font-variant-numeric: tabular-nums; }
.samples td { max-width: 360px; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
.graph td, .graph th { font-size: 12px; } .graph td:nth-child(5), .graph td:nth-child(6), .graph td:nth-child(9) { white-space: nowrap; } code { font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: flex-start; } .charts > table { margin: 0; } figure.chart { margin: 0; }
.stage-section { margin-top: 28px; }
`;

export function page(title: string, subtitle: string, body: readonly string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${STYLE}</style></head>`,
    `<body><h1>${esc(title)}</h1><p class="sub">${esc(subtitle)}</p>`,
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}
