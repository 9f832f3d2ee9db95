// Where a shared cache lives: `s3://bucket/prefix` plus the options an S3-compatible server needs.
// Parsed apart from the SDK, so a recipe naming a remote resolves without loading it.
import { PipelineError } from '../errors.ts';

export interface RemoteSpec {
  /** As written, `s3://bucket/prefix`: what messages name (never a credential). */
  url: string;
  bucket: string;
  /** Key prefix without a trailing slash; '' for the bucket's root. */
  prefix: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

const S3_URL = /^s3:\/\/(?<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(?<prefix>.*))?$/;

/**
 * A remote from the recipe's `remote:` (a URL or `{ url, endpoint, region, forcePathStyle }`) or
 * from `--remote` / `--remote-endpoint`; the flags win. undefined when neither names one.
 */
export function remoteSpecOf(fromRecipe: unknown, flags: { remote?: string; remoteEndpoint?: string } = {}): RemoteSpec | undefined {
  const declared = typeof fromRecipe === 'string' ? { url: fromRecipe } : (fromRecipe as Omit<RemoteSpec, 'bucket' | 'prefix'> | undefined);
  const url = flags.remote ?? declared?.url;
  if (url === undefined) {
    if (flags.remoteEndpoint) throw new PipelineError('USAGE', '--remote-endpoint needs a remote', { hint: 'add --remote s3://bucket/prefix, or `remote:` to the recipe' });
    return undefined;
  }
  const match = S3_URL.exec(url);
  if (!match?.groups) {
    throw new PipelineError('USAGE', `remote \`${url}\` is not an s3://bucket/prefix URL`, {
      hint: 'write s3://my-bucket/team/tempa (bucket names: 3-63 lower-case letters, digits, dots and dashes)',
    });
  }
  const endpoint = flags.remoteEndpoint ?? (flags.remote === undefined ? declared?.endpoint : undefined);
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new PipelineError('USAGE', `remote endpoint \`${endpoint}\` is not an http(s) URL`, { hint: 'write http://127.0.0.1:9000 (MinIO) or https://<account>.r2.cloudflarestorage.com (R2)' });
  }
  const fromDeclared = flags.remote === undefined || flags.remote === declared?.url;
  return {
    url,
    bucket: match.groups.bucket!,
    prefix: (match.groups.prefix ?? '').replace(/\/+$/, ''),
    endpoint,
    region: fromDeclared ? declared?.region : undefined,
    forcePathStyle: fromDeclared ? declared?.forcePathStyle : undefined,
  };
}
