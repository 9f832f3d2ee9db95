// The `yaml` package, loaded on first use: loading it costs tens of ms, and a run of a recipe that
// js-yaml reads (fast-yaml.ts) with nothing to locate or write never needs it.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

const require = createRequire(import.meta.url);
let loaded: Yaml | undefined;

export const yaml = (): Yaml => (loaded ??= require('yaml') as Yaml);
