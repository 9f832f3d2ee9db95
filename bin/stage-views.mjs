// Definition views of the built-in stages, made at build time: the stage module with its run()
// replaced by a call into the full module, so that resolving a recipe (status, dag, validate, show)
// loads each stage's schema and outputs but not its training code or tfjs. The .ts files are untouched,
// so code hashes and cache keys stay the same; without dist/ the full module loads, as before.

/** The query that asks bin/compiled-loader.mjs for the full module behind a view. */
export const FULL_MODULE_QUERY = '?tempa=run';

/**
 * `source` with the run() of its `export default defineStage({...})` delegating to the full module,
 * or undefined when the module has no such run() (then it is compiled whole, as any other module).
 */
export function definitionView(ts, source, fileName) {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const exported = file.statements.find((s) => ts.isExportAssignment(s) && !s.isExportEquals);
  const call = exported?.expression;
  if (!call || !ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.expression.text !== 'defineStage') return undefined;
  const object = call.arguments[0];
  if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
  const run = object.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'run');
  if (!run || !(ts.isMethodDeclaration(run) || ts.isPropertyAssignment(run))) return undefined;
  const delegate = `run(ctx, params) {\n    return import(new URL(${JSON.stringify(FULL_MODULE_QUERY)}, import.meta.url).href).then((full) => full.default.run(ctx, params));\n  }`;
  return source.slice(0, run.getStart(file)) + delegate + source.slice(run.end);
}
