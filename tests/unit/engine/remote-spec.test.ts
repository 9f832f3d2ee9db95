// Where the shared cache is: the recipe's `remote:` (a URL or an object), overridden by --remote and
// --remote-endpoint; a malformed one is refused at its line in the recipe, before anything runs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatError } from '../../../engine/cli/format-error.ts';
import { resolveRecipe } from '../../../engine/recipe/resolve.ts';
import { remoteSpecOf } from '../../../engine/remote/remote-spec.ts';
import { TEMPA } from '../../../stages/builtin.ts';
import { makeProject } from '../../helpers/project.ts';

const STAGES = 'stages:\n  a:\n    uses: exec\n    with: { command: "true" }\n';

describe('remoteSpecOf', () => {
  it('splits bucket and prefix, and is undefined when nothing names a remote', () => {
    assert.deepEqual(remoteSpecOf('s3://team-cache/llm/tempa/'), { url: 's3://team-cache/llm/tempa/', bucket: 'team-cache', prefix: 'llm/tempa', endpoint: undefined, region: undefined, forcePathStyle: undefined });
    assert.equal(remoteSpecOf('s3://team-cache')?.prefix, '');
    assert.equal(remoteSpecOf(undefined), undefined);
  });

  it('flags win over the recipe; the recipe region and path style stay with its own URL', () => {
    const declared = { url: 's3://a-bucket/x', endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true };
    assert.deepEqual(remoteSpecOf(declared, { remoteEndpoint: 'http://127.0.0.1:9000' }), { ...declared, bucket: 'a-bucket', prefix: 'x', endpoint: 'http://127.0.0.1:9000' });
    assert.deepEqual(remoteSpecOf(declared, { remote: 's3://other-bucket/y' }), { url: 's3://other-bucket/y', bucket: 'other-bucket', prefix: 'y', endpoint: undefined, region: undefined, forcePathStyle: undefined });
  });

  it('refuses what is not an s3 URL, with a hint', () => {
    assert.throws(() => remoteSpecOf(undefined, { remote: 'gs://bucket/x' }), /remote `gs:\/\/bucket\/x` is not an s3:\/\/bucket\/prefix URL/);
    assert.throws(() => remoteSpecOf(undefined, { remote: 's3://Bad_Bucket/x' }), /not an s3:\/\/bucket\/prefix URL/);
    assert.throws(() => remoteSpecOf('s3://ok-bucket', { remoteEndpoint: 'minio:9000' }), /remote endpoint `minio:9000` is not an http\(s\) URL/);
    assert.throws(() => remoteSpecOf(undefined, { remoteEndpoint: 'http://x:1' }), /--remote-endpoint needs a remote/);
  });

  it('a recipe remote is checked where it is written', async () => {
    const dir = await makeProject({ 'bad.yaml': `remote: s3://Bad_Bucket/x\n${STAGES}`, 'typo.yaml': `remote: { url: "s3://ok-bucket", endpiont: "http://x" }\n${STAGES}`, 'good.yaml': `remote: { url: "s3://ok-bucket/p", endpoint: "http://127.0.0.1:9000" }\n${STAGES}` });
    const error = (file: string) => resolveRecipe(path.join(dir, file), TEMPA).then(() => assert.fail('accepted'), (e: unknown) => formatError(e));
    assert.match(await error('bad.yaml'), /bad\.yaml:1:9: error RECIPE_INVALID: remote: remote `s3:\/\/Bad_Bucket\/x` is not an s3:\/\/bucket\/prefix URL/);
    assert.match(await error('typo.yaml'), /typo\.yaml:1:34: error RECIPE_INVALID: remote\.endpiont: unknown key `endpiont`[\s\S]*hint: did you mean `endpoint`\?/);
    assert.deepEqual((await resolveRecipe(path.join(dir, 'good.yaml'), TEMPA)).remote, { url: 's3://ok-bucket/p', bucket: 'ok-bucket', prefix: 'p', endpoint: 'http://127.0.0.1:9000', region: undefined, forcePathStyle: undefined });
  });
});
