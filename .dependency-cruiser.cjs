/**
 * Layers, imports pointing down only (README: "Layout"):
 *
 *   entry points  lambdas/<fn>/, bin/, lib/ (CDK), src/cli/, bench/
 *   adapters      src/adapters/ (aws/, binance/, workflows/), src/local/
 *   use cases     src/ingest/, src/backfill/, src/ml/, src/timeseries/, src/orchestration/, src/dashboard/, src/analysis/, src/schemas/, src/enriched/, src/catalog.ts
 *   sources       src/sources/<id>/ (+ contract.ts, index.ts: the registry)
 *   lake          src/lake/, src/sql/
 *   core          src/core/
 *
 * `npm test` runs `depcruise` with this file: a wrong-way import fails the suite.
 */
const CORE = '^src/core/';
const LAKE = '^src/(lake|sql)/';
const SOURCES = '^src/sources/';
const USE_CASES = '^src/(ingest|backfill|ml|timeseries|orchestration|dashboard|analysis|schemas|enriched)/|^src/catalog\\.ts$';
const ADAPTERS = '^src/(adapters|local)/';
const ENTRY_POINTS = '^(lambdas|lib|bin|bench)/|^src/cli/';
// npm packages match both as bare names (unresolved) and as resolved paths (`node_modules/<pkg>/…`,
// also through a symlinked node_modules, where the path is `../<elsewhere>/node_modules/<pkg>/…`).
const RUNTIME_PACKAGES = '(@aws-sdk/|@duckdb/|aws-cdk-lib(/|$)|constructs(/|$)|ws(/|$)|mqtt(/|$)|aedes(/|$)|pg(/|$)|pg-logical-replication(/|$))';
const RUNTIME_SPECIFIC = `^(node:)?(fs|fs/promises|child_process|worker_threads|net|http|https)$|^${RUNTIME_PACKAGES}|(^|/)node_modules/${RUNTIME_PACKAGES}`;

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make layers meaningless.', from: {}, to: { circular: true } },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment: 'The core (time, ids, reason codes, record origin, seeded random) depends on nothing of ours.',
      from: { path: CORE },
      to: { path: '^(src|lambdas|lib|bin|bench|test)/', pathNot: CORE },
    },
    {
      name: 'lake-imports-core-and-lake',
      severity: 'error',
      comment: 'Table schemas, the Parquet writer, the object-store port and the shared SQL know no source and no use case.',
      from: { path: LAKE },
      to: { path: '^(src|lambdas|lib|bin|bench|test)/', pathNot: `${CORE}|${LAKE}|^glue-schemas/` },
    },
    {
      name: 'sources-import-core-lake-and-the-contract',
      severity: 'error',
      comment: 'A source uses the core and the lake; never a use case, an adapter or an entry point.',
      from: { path: SOURCES },
      to: { path: `${USE_CASES}|${ADAPTERS}|${ENTRY_POINTS}` },
    },
    {
      name: 'sources-are-independent',
      severity: 'error',
      comment: 'A source never reaches into another source (shared rules belong in the core).',
      from: { path: '^src/sources/([^/]+)/' },
      to: { path: '^src/sources/[^/]+/', pathNot: '^src/sources/$1/' },
    },
    {
      name: 'pure-code-is-runtime-neutral',
      severity: 'error',
      comment:
        'Core, lake, sources and use cases run unchanged in Lambda and locally: no file system, network client (ws, mqtt, aedes, pg), AWS SDK, DuckDB or CDK.',
      from: { path: `${CORE}|${LAKE}|${SOURCES}|${USE_CASES}` },
      to: { path: RUNTIME_SPECIFIC },
    },
    {
      name: 'use-cases-stay-above-adapters',
      severity: 'error',
      comment: 'Use cases declare ports; adapters implement them and entry points wire them.',
      from: { path: USE_CASES },
      to: { path: `${ADAPTERS}|${ENTRY_POINTS}` },
    },
    {
      name: 'use-cases-use-a-sources-public-face',
      severity: 'error',
      comment: 'A use case reads a source through the registry, its index.ts or its tables.ts, never its internals.',
      from: { path: USE_CASES },
      to: { path: '^src/sources/[^/]+/', pathNot: '^src/sources/[^/]+/(index|tables)\\.ts$' },
    },
    {
      name: 'adapters-stay-below-entry-points',
      severity: 'error',
      comment: 'Adapters never import a Lambda handler, the CLI or the CDK app.',
      from: { path: ADAPTERS },
      to: { path: ENTRY_POINTS },
    },
    {
      name: 'handlers-are-not-libraries',
      severity: 'error',
      comment: 'Nothing imports a Lambda entry point; its logic lives in a use case.',
      from: { pathNot: '^test/' },
      to: { path: '^lambdas/[^/]+/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|\\.ticklake)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
