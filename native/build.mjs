// Builds tempa's native addon at `npm install` (the package's install script). It needs only a C
// compiler: the addon carries its own GEMM. It links the system BLAS too where there is one (OpenBLAS,
// Accelerate), so TEMPA_BLAS=openblas can pick it at run time; TEMPA_SYSTEM_BLAS=0 builds without it
// (CI checks that build). It never fails the install: without a compiler tempa runs on the wasm
// backend, and says why in every stage log.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const warn = (line) => process.stderr.write(`tempa: ${line}\n`);

// node-gyp ships inside npm; npm tells scripts where.
const nodeGyp =
  process.env.npm_config_node_gyp ?? path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
// Build against the running Node's own headers when they are installed, so nothing is downloaded.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir ?? (existsSync(path.join(prefix, 'include/node/node_api.h')) ? prefix : undefined);

if (process.env.TEMPA_SKIP_NATIVE === '1') {
  warn('native addon not built (TEMPA_SKIP_NATIVE=1); the wasm backend will be used');
} else if (!existsSync(nodeGyp)) {
  warn(`native addon not built: node-gyp not found at ${nodeGyp}; the wasm backend will be used`);
} else {
  const build = (systemBlas) => {
    const args = [nodeGyp, 'rebuild', `--system_blas=${systemBlas}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
    return spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
  };
  const withSystemBlas = process.env.TEMPA_SYSTEM_BLAS !== '0';
  let result = build(withSystemBlas ? 'openblas' : 'none');
  let blas = withSystemBlas ? 'system BLAS linked too' : 'system BLAS left out (TEMPA_SYSTEM_BLAS=0)';
  // No cblas.h or libopenblas: the bundled GEMM alone.
  if (result.status !== 0 && withSystemBlas) {
    result = build('none');
    blas = 'no system BLAS found';
  }
  if (result.status === 0) {
    process.stdout.write(`tempa: native addon built with tempa's GEMM, ${blas} (native/build/Release/tempa_native.node)\n`);
  } else {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n');
    const reason = output.find((l) => /error|fatal|not found|No such file/i.test(l)) ?? output.at(-1) ?? String(result.error ?? result.status);
    warn(`native addon not built (${reason.trim()}); the wasm backend will be used.`);
    warn('to build it: install a C compiler (Debian: apt install build-essential), then npm run install');
  }
}
