/**
 * Amazon States Language types shared by the workflow definitions
 * (`lib/orchestration/`), the local executor (`src/local/ml/executor.ts`) and
 * the Task handlers. Pure: no aws-cdk-lib, no AWS SDK.
 */

/** A state machine definition (Amazon States Language, JSONPath). */
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, Record<string, unknown>>;
}

/** What a workflow's first (Pass) state hands on: the execution input as `request`, and the start time. */
export interface RunStart<R> {
  readonly request: R;
  /** Execution start time (`$$.Execution.StartTime`), ISO 8601. */
  readonly startedAt: string;
}
