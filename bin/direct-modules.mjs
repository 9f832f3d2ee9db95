// Turns a compiled module into its dist/direct/ twin, which Node imports with no module hook (a hook
// costs a loader thread and a round trip per module at every start): relative imports name the .js
// files beside it, and import.meta.url still names the .ts source, so paths derived from it (plugin
// files, code hashes, the repository root) are the ones the source would see.
import path from 'node:path';
import { FULL_MODULE_QUERY } from './stage-views.mjs';

// esbuild prints every specifier in double quotes; the source names its local imports with .ts.
const LOCAL_TS_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)"(\.{1,2}\/[^"\n]*?)\.ts"/g;
const FULL_MODULE_IMPORT = `import(new URL(${JSON.stringify(FULL_MODULE_QUERY)}, import.meta.url).href)`;
const SENTINEL = '\u0000full-module\u0000';

/**
 * `code`: the compiled module of repository path `rel` (a .ts). A definition view's run() (bin/stage-views.mjs)
 * imports the full module beside it, after loading tsx, which a stage running a user's TypeScript may need.
 */
export function toDirectModule(code, rel, view = false) {
  const directFile = path.posix.join('dist/direct', rel.replace(/\.ts$/, '.js'));
  const up = (target) => path.posix.relative(path.posix.dirname(directFile), target);
  let out = code.replace(LOCAL_TS_IMPORT, (_, head, spec) => `${head}"${spec}.js"`);
  if (view) {
    if (!out.includes(FULL_MODULE_IMPORT)) throw new Error(`${rel}: its definition view has no \`${FULL_MODULE_IMPORT}\``);
    out = out.replace(FULL_MODULE_IMPORT, SENTINEL);
  }
  out = out.replaceAll('import.meta.url', `new URL(${JSON.stringify(up(rel))}, import.meta.url).href`);
  if (view) {
    const full = `./${path.posix.basename(directFile)}`;
    const typescript = JSON.stringify(up('bin/typescript-on-demand.mjs'));
    out = out.replace(SENTINEL, `import(new URL(${typescript}, import.meta.url).href).then((ts) => ts.ready()).then(() => import(new URL(${JSON.stringify(full)}, import.meta.url).href))`);
  }
  return `${out}\n//# sourceMappingURL=${up(path.posix.join('dist', `${rel.replace(/\.ts$/, '.js')}.map`))}\n`;
}
