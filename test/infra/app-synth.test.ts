/**
 * The whole app through the real entry point: `npx cdk synth` with cdk.json,
 * bin/app.ts, cdk-nag registered, NodejsFunction bundling with the local
 * esbuild, offline, with Docker made unusable (CDK_DOCKER=/bin/false).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';

const out = mkdtempSync(join(tmpdir(), 'ticklake-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

let result: { code: number; stdout: string; stderr: string; seconds: number };

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', args, { cwd: PROJECT_ROOT, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DOCKER: '/bin/false', CDK_DISABLE_VERSION_CHECK: '1', CI: 'true' };
  delete env.CDK_DEFAULT_ACCOUNT;
  const started = Date.now();
  const r = await run(['cdk', 'synth', '--no-notices', '--no-version-reporting', '-o', out], env);
  result = { ...r, seconds: (Date.now() - started) / 1000 };
}, 180_000);

function manifest(): { artifacts: Record<string, { type: string; properties?: { templateFile?: string } }> } {
  return JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
}

describe('npx cdk synth (offline, no Docker)', () => {
  it('succeeds with cdk-nag on and lists the stacks', () => {
    expect(result.code, result.stderr.slice(-4000)).toBe(0);
    const stacks = Object.entries(manifest().artifacts)
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([id]) => id)
      .sort();
    expect(stacks).toEqual([
      'ticklake-dev-catalog',
      'ticklake-dev-ingestion',
      'ticklake-dev-observability',
      'ticklake-dev-orchestration',
      'ticklake-dev-processing',
      'ticklake-dev-storage',
    ]);
    expect(result.stderr).not.toMatch(/docker/i);
    console.log(`cdk synth: ${result.seconds.toFixed(1)} s`);
  });

  it('bundles the stream transform with esbuild into one ES module, SDK included, no native SQL engine', () => {
    const assets = readdirSync(out).filter((d) => d.startsWith('asset.') && existsSync(join(out, d, 'index.mjs')));
    expect(assets).toHaveLength(1);
    const dir = join(out, assets[0]!);
    const code = readFileSync(join(dir, 'index.mjs'));
    const text = code.toString('utf8');
    expect(text.startsWith("import { createRequire as __ticklakeCreateRequire } from 'node:module'")).toBe(true);
    expect(/@duckdb|duckdb\.node/.test(text)).toBe(false);
    // @aws-sdk/client-s3 is in the bundle, not taken from the runtime
    expect(text.includes('"PutObject"') && text.includes('@aws-sdk/client-s3')).toBe(true);
    const files = readdirSync(dir);
    expect(files.sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const size = statSync(join(dir, 'index.mjs')).size;
    console.log(
      `stream-transform bundle: ${(size / 1024).toFixed(0)} KiB minified, ${(gzipSync(code).length / 1024).toFixed(0)} KiB gzipped, source map ${(statSync(join(dir, 'index.mjs.map')).size / 1024).toFixed(0)} KiB`,
    );
    expect(size).toBeLessThan(3 * 1024 * 1024);
  });

  it('the bundle loads as an ES module and its handler answers an empty Kinesis batch', async () => {
    const [asset] = readdirSync(out).filter((d) => d.startsWith('asset.') && existsSync(join(out, d, 'index.mjs')));
    process.env.LAKE_BUCKET = 'bundle-smoke-test';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const mod = (await import(pathToFileURL(join(out, asset!, 'index.mjs')).href)) as { handler: (e: unknown, c: unknown) => Promise<unknown> };
    expect(typeof mod.handler).toBe('function');
    await expect(mod.handler({ Records: [] }, {})).resolves.toEqual({ batchItemFailures: [] });
  });

  it('templates carry no cdk-nag acknowledgement on a stack as a whole', () => {
    for (const [id, a] of Object.entries(manifest().artifacts)) {
      if (a.type !== 'aws:cloudformation:stack') continue;
      const meta = JSON.parse(readFileSync(join(out, `${id}.metadata.json`), 'utf8')) as Record<string, { type: string }[]>;
      const stackLevel = (meta[`/${id}`] ?? []).filter((m) => m.type === 'aws:cdk:acknowledged-rules');
      expect(stackLevel, id).toEqual([]);
    }
  });
});
