/** `cdc_changes` column builders (hand-specialised, see src/lake/rows.ts). */
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import type { CdcChange } from './change.js';
import { CDC_CHANGES } from './tables.js';

function cdcChangeColumns() {
  return {
    lsn: [] as string[],
    commit_order: [] as number[],
    seq: [] as number[],
    op: [] as string[],
    schema_name: [] as string[],
    table_name: [] as string[],
    row_key: [] as string[],
    commit_time: [] as number[],
    xid: [] as (number | null)[],
    before_json: [] as (string | null)[],
    after_json: [] as (string | null)[],
    format: [] as string[],
    ingest_time: [] as number[],
  };
}

/** `cdc_changes` rows, partitioned by the hour of commit_time. */
export class CdcChangeRows extends PartitionedColumns<ReturnType<typeof cdcChangeColumns>> {
  constructor() {
    super(CDC_CHANGES);
  }

  protected empty() {
    return cdcChangeColumns();
  }

  add(r: CdcChange, ingestUs: number): void {
    const c = this.part(hourIndex(r.commit_time));
    c.lsn.push(r.lsn);
    c.commit_order.push(r.commit_order);
    c.seq.push(r.seq);
    c.op.push(r.op);
    c.schema_name.push(r.schema_name);
    c.table_name.push(r.table_name);
    c.row_key.push(r.row_key);
    c.commit_time.push(r.commit_time);
    c.xid.push(r.xid);
    c.before_json.push(r.before_json);
    c.after_json.push(r.after_json);
    c.format.push(r.format);
    c.ingest_time.push(ingestUs);
  }
}
