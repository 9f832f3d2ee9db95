// What an application built on the engine hands it from its composition root (bin/): its built-in
// stages, its folder and the schema of its `runtime:` options. The engine knows none of these itself.

/** A flag offered by `run` and every plugin command that sets one runtime option: `--backend cpu` is `--set runtime.backend=cpu`. */
export interface RuntimeFlag {
  /** The runtime option, and the flag's name. */
  name: string;
  description: string;
  choices?: readonly string[];
}

export interface RuntimeOptions {
  /** JSON Schema of the recipe's `runtime:` mapping; Ajv fills in its defaults. */
  schema: object;
  flags?: readonly RuntimeFlag[];
}

/** Code a built-in stage runs on the recipe's behalf, at `path` inside its `with:`. */
export type DeclaredCode =
  | { path: readonly (string | number)[]; command: string | readonly string[]; cwd?: string; env?: Readonly<Record<string, string>> }
  | { path: readonly (string | number)[]; module: string };

/** Built-in stage name -> the code its parameters name (only stages that run such code). */
export type DeclaredCodeTable = Readonly<Record<string, (params: unknown) => readonly DeclaredCode[]>>;

export interface App {
  /** The application's folder: built-in stage code is hashed relative to it, and `npm:` datasets fall back to its node_modules. */
  root: string;
  /** Built-in stage name -> module URL; a module is imported only when a recipe uses it. */
  stages: Readonly<Record<string, URL>>;
  /** How `runtime:` is checked. Absent: it is an opaque mapping, passed to stages as written. */
  runtime?: RuntimeOptions;
  /** The commands and modules built-in stages run on a recipe's behalf: a run asks before running untrusted ones. */
  declaredCode?: DeclaredCodeTable;
  /** A folder of recipes shipped with the application: the code they name is trusted like its built-in stages. */
  shippedRecipes?: string;
  /** A folder of precompiled Ajv validators (engine/recipe/ajv.ts precompiledName): a schema with one is not compiled at start-up. */
  validators?: string;
  /** How a stage module is imported by URL (a built-in's or a recipe's plugin). Absent: `import()`. */
  importModule?: (url: string) => Promise<unknown>;
}
