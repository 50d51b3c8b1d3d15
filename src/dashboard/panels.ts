/**
 * Every dashboard panel: each source's own (from the registry), the forecasting
 * schedule's, and the pipeline's health. A panel whose data is not SQL (files
 * per partition, dead letters) is answered by the {@link LakeStats} port.
 */
import { FORECAST_PANELS } from '../ml/panels.js';
import { SOURCES } from '../sources/index.js';
import type { ChartColumns, ChartKind, PanelDefinition, PanelGroup, PanelParam } from '../sql/panel.js';
import { HEALTH_PANELS } from './health-panels.js';

/** Files and bytes of one table partition. */
export interface PartitionFiles {
  readonly table: string;
  /** `dt=2026-12-04/hour=09`, or `` for an unpartitioned table. */
  readonly partition: string;
  readonly files: number;
  readonly bytes: number;
}

/** What the stream's on-failure destination holds. */
export interface DeadLetters {
  /** Failed batches recorded (one per exhausted batch). */
  readonly batches: number;
  /** Records in those batches. */
  readonly records: number;
  /** When the newest arrived, ms since epoch. */
  readonly newestMs?: number;
}

/** The lake's file layout and dead letters (local file system / S3 and SQS). */
export interface LakeStats {
  partitionFiles(): Promise<readonly PartitionFiles[]>;
  deadLetters(): Promise<DeadLetters>;
}

/** A panel answered by {@link LakeStats} rather than SQL. */
export interface StatsPanel extends Omit<PanelDefinition, 'query' | 'choices'> {
  read(stats: LakeStats): Promise<{ readonly columns: readonly string[]; readonly rows: readonly (readonly (string | number | null)[])[] }>;
}

export const STATS_PANELS: readonly StatsPanel[] = [
  {
    id: 'health-files',
    title: 'Files per partition',
    description: 'Parquet files and MB per table partition, most files first (many small files slow every query).',
    group: 'health',
    chart: 'table',
    columns: { x: 'partition', y: ['files', 'mb'] },
    params: [],
    emptyHint: 'The lake has no files yet.',
    read: async (s) => {
      const parts = [...(await s.partitionFiles())].sort(
        (a, b) => b.files - a.files || a.table.localeCompare(b.table) || a.partition.localeCompare(b.partition),
      );
      return {
        columns: ['table', 'partition', 'files', 'mb'],
        rows: parts.slice(0, 100).map((p) => [p.table, p.partition, p.files, Math.round(p.bytes / 10_485.76) / 100]),
      };
    },
  },
  {
    id: 'health-dead-letters',
    title: 'Dead letters',
    description: 'Stream batches that exhausted their retries and went to the on-failure destination.',
    group: 'health',
    chart: 'table',
    columns: { x: 'batches', y: ['records'] },
    params: [],
    emptyHint: 'No dead letters.',
    read: async (s) => {
      const d = await s.deadLetters();
      return d.batches === 0
        ? { columns: ['batches', 'records', 'newest_ms'], rows: [] }
        : { columns: ['batches', 'records', 'newest_ms'], rows: [[d.batches, d.records, d.newestMs ?? null]] };
    },
  },
];

/** Every SQL panel, in page order. */
export const SQL_PANELS: readonly PanelDefinition[] = [...SOURCES.flatMap((s) => s.panels ?? []), ...FORECAST_PANELS, ...HEALTH_PANELS];

/** The page's groups, in order, with their headings. */
export const PANEL_GROUPS: readonly { readonly id: PanelGroup; readonly title: string }[] = [
  { id: 'markets', title: 'Markets' },
  { id: 'crypto', title: 'Crypto ranking' },
  { id: 'stocks', title: 'Stocks' },
  { id: 'devices', title: 'Devices and organisation' },
  { id: 'health', title: 'Pipeline health' },
];

/** What the page is told about a panel (everything but its queries). */
export interface PanelInfo {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly group: PanelGroup;
  readonly chart: ChartKind;
  readonly columns: ChartColumns;
  readonly params: readonly PanelParam[];
  readonly overlayOn?: string;
  readonly emptyHint: string;
  /** Whether `/api/panels/<id>/choices` lists its symbol picker's values. */
  readonly hasChoices: boolean;
}

export function panelInfo(p: PanelDefinition | StatsPanel): PanelInfo {
  return {
    id: p.id,
    title: p.title,
    description: p.description,
    group: p.group,
    chart: p.chart,
    columns: p.columns,
    params: p.params,
    ...(p.overlayOn ? { overlayOn: p.overlayOn } : {}),
    emptyHint: p.emptyHint,
    hasChoices: 'choices' in p && p.choices !== undefined,
  };
}

/** Panel ids are unique across the registry (checked at load: two sources must not claim one id). */
const ids = [...SQL_PANELS, ...STATS_PANELS].map((p) => p.id);
const dup = ids.find((id, i) => ids.indexOf(id) !== i);
if (dup !== undefined) throw new Error(`dashboard panel id ${dup} is declared twice`);
