// The few S3 calls a shared cache needs (head, get into a file while hashing, put), through the AWS
// SDK, imported only when a remote is used. SDK failures become RemoteErrors that name the
// remote and what to do, never a stack trace or a credential.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.ts';
import { errRemote, RemoteError } from './remote-error.ts';
import type { RemoteSpec } from './remote-spec.ts';

type Sdk = typeof import('@aws-sdk/client-s3');

/** An object whose bytes do not hash to the address they were asked for. */
export class DamagedObject extends Error {}

export class S3Objects {
  readonly spec: RemoteSpec;
  private readonly sdk: Sdk;
  private readonly client: S3Client;

  private constructor(spec: RemoteSpec, sdk: Sdk) {
    this.spec = spec;
    this.sdk = sdk;
    // The SDK warns on Node 20 that *later* SDK versions will need Node 22; this exact version runs
    // here, so that warning would only be noise on every run that uses a remote.
    const quiet = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    this.client = new sdk.S3Client({
      // No credentials here on purpose: the SDK's default chain (env, profile, SSO, instance role) finds them.
      region: spec.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (spec.endpoint ? 'us-east-1' : undefined),
      endpoint: spec.endpoint,
      forcePathStyle: spec.forcePathStyle ?? spec.endpoint !== undefined,
      maxAttempts: 2,
      // MinIO, R2 and older S3-compatible servers do not all accept the SDK's default CRC checksums
      // and aws-chunked uploads; our own sha256 check is what guards the bytes.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
    });
    if (quiet === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    else process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = quiet;
  }

  static async open(spec: RemoteSpec): Promise<S3Objects> {
    return new S3Objects(spec, await import('@aws-sdk/client-s3'));
  }

  /** Object name under the remote's prefix. */
  name(rel: string): string {
    return this.spec.prefix ? `${this.spec.prefix}/${rel}` : rel;
  }

  /** Fails with a clear error when the bucket is missing, the credentials are refused or the endpoint is down. */
  async check(): Promise<void> {
    await this.call('reach the bucket', () => this.client.send(new this.sdk.HeadBucketCommand({ Bucket: this.spec.bucket })));
  }

  async exists(rel: string): Promise<boolean> {
    const found = await this.call(`look up ${rel}`, () => this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.spec.bucket, Key: this.name(rel) })), true);
    return found !== undefined;
  }

  /** The object's bytes, or undefined when there is none; a transfer that breaks off throws DamagedObject. */
  async getBytes(rel: string): Promise<Buffer | undefined> {
    const got = await this.call(`read ${rel}`, () => this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.spec.bucket, Key: this.name(rel) })), true);
    if (!got) return undefined;
    try {
      return Buffer.from(await got.Body!.transformToByteArray());
    } catch (error) {
      throw new DamagedObject(`${rel} broke off (${errorMessage(error)})`);
    }
  }

  /**
   * Streams the object into `file`, hashing as it goes; a missing object, a short one or other bytes
   * than `sha256` throw DamagedObject and leave no file behind.
   */
  async download(rel: string, file: string, sha256: string, size: number): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const hash = createHash('sha256');
    let bytes = 0;
    const got = await this.call(`download ${rel}`, () => this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.spec.bucket, Key: this.name(rel) })), true);
    let broken: string | undefined;
    if (got) {
      const body = got.Body as Readable;
      body.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      // A transfer that breaks off is a partial object, to fetch again, not a remote that is down.
      await pipeline(body, createWriteStream(file)).catch((error: unknown) => (broken = errorMessage(error)));
    }
    const actual = hash.digest('hex');
    if (got && !broken && bytes === size && actual === sha256) return;
    await rm(file, { force: true });
    if (!got) throw new DamagedObject(`${rel} is missing`);
    throw new DamagedObject(broken ? `${rel} broke off after ${bytes} of ${size} bytes (${broken})` : `${rel} has ${bytes} bytes hashing to ${actual.slice(0, 12)}, expected ${size} bytes hashing to ${sha256.slice(0, 12)}`);
  }

  async putFile(rel: string, file: string, size: number): Promise<void> {
    await this.call(`upload ${rel}`, () =>
      this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.spec.bucket, Key: this.name(rel), Body: createReadStream(file), ContentLength: size })),
    );
  }

  async putBytes(rel: string, bytes: Buffer, contentType: string): Promise<void> {
    await this.call(`upload ${rel}`, () => this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.spec.bucket, Key: this.name(rel), Body: bytes, ContentType: contentType })));
  }

  close(): void {
    this.client.destroy();
  }

  /** Runs one SDK call; with `missingOk`, "no such key" resolves to undefined instead of failing. */
  private async call<T>(action: string, fn: () => Promise<T>, missingOk = false): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof PipelineError || error instanceof DamagedObject) throw error;
      const name = (error as { name?: string }).name ?? '';
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (missingOk && (name === 'NoSuchKey' || name === 'NotFound')) return undefined;
      if (missingOk && status === 404 && name !== 'NoSuchBucket') return undefined;
      throw describeFailure(this.spec, action, error, status);
    }
  }
}

/** Is this a failure of the remote as a whole (no bucket, no access, no network) rather than of one object? */
export const isUnavailable = (error: unknown): boolean => error instanceof RemoteError;

function describeFailure(spec: RemoteSpec, action: string, error: unknown, status: number | undefined): PipelineError {
  const name = (error as { name?: string }).name ?? '';
  const code = (error as { code?: string }).code ?? '';
  const where = spec.endpoint ? ` at ${spec.endpoint}` : '';
  const chain = 'credentials come from the standard AWS chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (~/.aws/credentials)';
  if (name === 'NoSuchBucket' || (status === 404 && action === 'reach the bucket')) {
    return errRemote(spec.url, action, `bucket ${spec.bucket} does not exist${where}`, `create it (aws s3 mb s3://${spec.bucket}, or mc mb for MinIO) or fix the remote URL`);
  }
  if (/credential/i.test(name) || ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'Forbidden'].includes(name) || status === 403 || status === 401) {
    return errRemote(spec.url, action, `credentials refused or missing (${name || status})`, chain);
  }
  if (/region is missing/i.test(errorMessage(error))) {
    return errRemote(spec.url, action, 'no region configured', 'set AWS_REGION, a region in your AWS profile, or `region:` under the recipe\'s `remote:`');
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code) || name === 'TimeoutError' || /ECONNREFUSED|ENOTFOUND|timed? ?out|socket hang up/i.test(errorMessage(error))) {
    return errRemote(spec.url, action, `the endpoint${where || ' (AWS S3)'} cannot be reached (${code || name})`, spec.endpoint ? 'check that the server runs and that --remote-endpoint / `endpoint:` is right' : 'check the network, or give an S3-compatible server with --remote-endpoint');
  }
  return errRemote(spec.url, action, `${name || 'error'}: ${redact(errorMessage(error))}`, 'check the remote URL, endpoint and credentials');
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** SDK messages do not carry secrets, but an echoing server might: never let one reach a terminal or log. */
function redact(text: string): string {
  let out = text;
  for (const secret of [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN]) if (secret && secret.length >= 8) out = out.split(secret).join('[redacted]');
  return out;
}
