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

/** Asset directory of each function, by function name (from the asset-path metadata of the templates). */
function functionAssets(): Record<string, string> {
  const byName: Record<string, string> = {};
  for (const [id, a] of Object.entries(manifest().artifacts)) {
    if (a.type !== 'aws:cloudformation:stack') continue;
    const t = JSON.parse(readFileSync(join(out, `${id}.template.json`), 'utf8')) as { Resources: Record<string, any> };
    for (const r of Object.values(t.Resources)) {
      if (r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'])
        byName[String(r.Properties.FunctionName)] = join(out, r.Metadata['aws:asset:path']);
    }
  }
  return byName;
}

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
    const byFunction = functionAssets();
    expect(assets).toHaveLength(Object.keys(byFunction).length);
    const dir = byFunction['ticklake-dev-stream-transform']!;
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
    const dir = functionAssets()['ticklake-dev-stream-transform']!;
    process.env.LAKE_BUCKET = 'bundle-smoke-test';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const mod = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler: (e: unknown, c: unknown) => Promise<unknown> };
    expect(typeof mod.handler).toBe('function');
    await expect(mod.handler({ Records: [] }, {})).resolves.toEqual({ batchItemFailures: [] });
  });

  it('bundles every forecasting function into one ES module that loads and exports its handler', async () => {
    const ml = Object.entries(functionAssets()).filter(([name]) => name.startsWith('ticklake-dev-ml-'));
    expect(ml.map(([name]) => name).sort()).toEqual(
      ['activate', 'choose-champion', 'evaluate', 'plan-evaluation', 'plan-training', 'predict', 'publish', 'register', 'train'].map(
        (n) => `ticklake-dev-ml-${n}`,
      ),
    );
    process.env.LAKE_BUCKET = 'bundle-smoke-test';
    process.env.MODEL_BUCKET = 'bundle-smoke-test-models';
    for (const [name, dir] of ml) {
      expect(readdirSync(dir).sort(), name).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(dir, 'index.mjs'));
      expect(/@duckdb|duckdb\.node/.test(code.toString('utf8')), name).toBe(false);
      const mod = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler?: unknown };
      expect(typeof mod.handler, name).toBe('function');
      console.log(`${name} bundle: ${(code.length / 1024).toFixed(0)} KiB minified, ${(gzipSync(code).length / 1024).toFixed(0)} KiB gzipped`);
      expect(code.length).toBeLessThan(3 * 1024 * 1024);
    }
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
