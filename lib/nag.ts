/**
 * cdk-nag wiring. Every acknowledgement in the app goes through
 * {@link acknowledge}, which requires a specific reason and records it, so the
 * full list (with construct paths) can be printed and reviewed, and so the
 * findings can be counted with the acknowledgements switched off
 * (`-c ticklake:nagAcknowledgements=off`).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export const NAG_ACKNOWLEDGEMENTS_CONTEXT = 'ticklake:nagAcknowledgements';

export interface NagAcknowledgement {
  readonly stack: string;
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

const registry = new WeakMap<IConstruct, NagAcknowledgement[]>();

/**
 * Acknowledges one cdk-nag finding on `scope` (and everything below it).
 * `id` is the full finding id, e.g. `AwsSolutions-IAM5[Resource::*]`.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 40) throw new Error(`cdk-nag acknowledgement ${id} at ${scope.node.path} needs a specific reason`);
  const root = scope.node.root;
  const list = registry.get(root) ?? [];
  list.push({ stack: Stack.of(scope).stackName, path: scope.node.path, id, reason });
  registry.set(root, list);
  if (scope.node.tryGetContext(NAG_ACKNOWLEDGEMENTS_CONTEXT) === 'off') return;
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Renders a CloudFormation value the way cdk-nag names it in a finding id
 * (`Fn::Join` joined, `Ref` as `<Name>`, `Fn::GetAtt` as `<Res.Attr>`, import
 * values by export name).
 */
export function flattenReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if ('Fn::Sub' in o) return flattenReference(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [res, attr] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(res)}.${flattenReference(attr)}>`;
    }
    if ('Fn::ImportValue' in o) return flattenReference(o['Fn::ImportValue']);
    if ('Ref' in o) return `<${flattenReference(o.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** The full id of the AwsSolutions-IAM5 finding for a wildcard `resource` (a string with tokens) in `scope`'s stack. */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resource))}]`;
}

/**
 * Grants `actions` on the objects of `bucket` under the key pattern `keys`
 * and acknowledges, with `reason`, the wildcard-resource finding such a grant
 * always raises.
 */
export function grantObjectKeys(role: iam.IRole, bucket: s3.IBucket, keys: string, actions: readonly string[], reason: string): void {
  s3.BucketGrants.fromBucket(bucket).actionsOnObjectKeys(role, keys, ...actions);
  acknowledge(role, wildcardResourceFinding(role, bucket.arnForObjects(keys)), reason);
}

/** Every acknowledgement made in the app that `scope` belongs to. */
export function acknowledgementsOf(scope: IConstruct): readonly NagAcknowledgement[] {
  return registry.get(scope.node.root) ?? [];
}

/** The rule packs run over every stack: AWS Solutions and Serverless. */
export function nagPacks(scope?: IConstruct): [AwsSolutionsChecks, ServerlessChecks] {
  return [new AwsSolutionsChecks(scope), new ServerlessChecks(scope)];
}

/** Registers the rule packs on the app: synthesis fails on any unacknowledged error finding. */
export function addNagPacks(app: IConstruct): void {
  Validations.of(app).addPlugins(...nagPacks(app));
}
