/**
 * Bundle-size report for the Lambda functions: runs esbuild with the options
 * TicklakeFunction gives NodejsFunction and prints, per function, the size with
 * the AWS SDK bundled (what is deployed) and, for comparison, with the SDK
 * left to the runtime, plus the largest inputs.
 *
 *   npm run bundle:report
 */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { NEVER_BUNDLED } from '../constructs/ticklake-function.js';
import { TIMESERIES_POINTS_ENTRY } from '../constructs/time-series-points.js';
import { ML_FUNCTIONS, PREDICT_FUNCTION } from '../stacks/orchestration-stack.js';
import { STREAM_TRANSFORM_ENTRY, TIMESERIES_WRITER_ENTRY } from '../paths.js';

export interface BundleSize {
  readonly name: string;
  readonly sdk: 'bundled' | 'runtime';
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly topInputs: { path: string; bytes: number }[];
}

export async function measureBundle(name: string, entry: string, sdk: 'bundled' | 'runtime'): Promise<BundleSize> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    metafile: true,
    logLevel: 'warning',
    external: [...NEVER_BUNDLED, ...(sdk === 'runtime' ? ['@aws-sdk/*', '@smithy/*'] : [])],
  });
  const code = result.outputFiles[0]!.contents;
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(Object.values(result.metafile.outputs)[0]!.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1]! : 'ticklake (src, lambdas, glue-schemas)';
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
  const topInputs = [...byPackage.entries()]
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  return { name, sdk, bytes: code.byteLength, gzipBytes: gzipSync(code).byteLength, topInputs };
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const functions: [string, string][] = [['stream-transform', STREAM_TRANSFORM_ENTRY]];
  if (existsSync(TIMESERIES_WRITER_ENTRY)) functions.push(['timeseries-writer', TIMESERIES_WRITER_ENTRY]);
  functions.push(['timeseries-points', TIMESERIES_POINTS_ENTRY]);
  for (const spec of [...Object.values(ML_FUNCTIONS), PREDICT_FUNCTION]) functions.push([`ml-${spec.name}`, spec.entry]);
  for (const [name, entry] of functions) {
    for (const sdk of ['bundled', 'runtime'] as const) {
      const r = await measureBundle(name, entry, sdk);
      console.log(
        `${name} (AWS SDK ${sdk === 'bundled' ? 'bundled - deployed' : 'from the runtime - comparison'}): ${kib(r.bytes)} minified, ${kib(r.gzipBytes)} gzipped`,
      );
      for (const t of r.topInputs) console.log(`    ${kib(t.bytes).padStart(8)}  ${t.path}`);
    }
  }
}
