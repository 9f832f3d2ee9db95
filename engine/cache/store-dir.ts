// Where a recipe's store lives unless `--store` names one; apart from store.ts, so that the CLI's
// option parsing loads no store code.
import path from 'node:path';

/** `.tempa` beside the recipe: the store every command uses unless told `--store`. */
export const defaultStoreDir = (recipeDir: string): string => path.join(recipeDir, '.tempa');
