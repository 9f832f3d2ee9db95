// A real S3-compatible server (s3rver) on 127.0.0.1 for the shared-cache tests, with its own
// credentials, and a raw SDK client for what a test does to the bucket behind tempa's back.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { tempDir } from './temp-dir.ts';

/** Distinctive, so a test can prove they never reach a lock, a log or the store. */
export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIATEMPATESTKEY0001', AWS_SECRET_ACCESS_KEY: 'tempa-test-secret-4f1c9e2ab7d8' };

export interface S3Server {
  endpoint: string;
  client: S3Client;
  /** Every object name under `prefix`. */
  list(bucket: string, prefix: string): Promise<string[]>;
  get(bucket: string, name: string): Promise<Buffer>;
  put(bucket: string, name: string, bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

export async function startS3Server(buckets: readonly string[]): Promise<S3Server> {
  // s3rver checks the access key id against its account registry (not the secret, for SigV4).
  const Account = createRequire(import.meta.url)('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
  Account.DUMMY_ACCOUNT.createKeyPair(S3_CREDENTIALS.AWS_ACCESS_KEY_ID, S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY);
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: await tempDir('tempa-s3-'), configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const address = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${address.port}`;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // this test's own client: a pinned SDK, a known Node
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    async list(bucket, prefix) {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        names.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return names.sort();
    },
    async get(bucket, name) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: name }));
      return Buffer.from(await got.Body!.transformToByteArray());
    },
    async put(bucket, name, bytes) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: bytes }));
    },
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

/**
 * A proxy in front of `endpoint` that breaks off the responses `breakOff` picks half-way (the
 * connection dropped mid-transfer), and passes everything else through: a torn download.
 */
export async function startTearingProxy(endpoint: string, breakOff: (method: string, url: string) => boolean): Promise<{ endpoint: string; torn: string[]; close(): Promise<void> }> {
  const upstream = new URL(endpoint);
  const torn: string[] = [];
  const server = createServer((req, res) => {
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (!breakOff(req.method ?? '', req.url ?? '')) return void answer.pipe(res);
      torn.push(req.url ?? '');
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      });
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    torn,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
