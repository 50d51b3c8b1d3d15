/**
 * The released versions of the sources' message schemas, kept in the repository
 * as `glue-schemas/messages/<source id>/v<N>.avsc` (Avro schema JSON): read by
 * `ticklake schemas` and by the CDK, written by `ticklake schemas release`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AvroRecord } from '../core/avro.js';
import type { ReleasedVersion } from '../schemas/message-schemas.js';

/** `glue-schemas/messages/` of this checkout. */
export const MESSAGE_SCHEMA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'glue-schemas', 'messages');

const FILE = /^v([1-9][0-9]*)\.avsc$/;

/** The file of a source's version. */
export function releasedSchemaFile(sourceId: string, version: number, dir = MESSAGE_SCHEMA_DIR): string {
  return join(dir, sourceId, `v${version}.avsc`);
}

/** A source's released versions (none when it has no folder); throws naming a file that is not JSON. */
export function readReleasedVersions(sourceId: string, dir = MESSAGE_SCHEMA_DIR): ReleasedVersion[] {
  const folder = join(dir, sourceId);
  if (!existsSync(folder)) return [];
  return readdirSync(folder).flatMap((f) => {
    const m = FILE.exec(f);
    if (!m) return [];
    const path = join(folder, f);
    try {
      return [{ version: Number(m[1]), avro: JSON.parse(readFileSync(path, 'utf8')) as AvroRecord }];
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
  });
}

/** Writes a version's file (never over an existing one: a released version is frozen). */
export function writeReleasedVersion(sourceId: string, v: ReleasedVersion, dir = MESSAGE_SCHEMA_DIR): string {
  const path = releasedSchemaFile(sourceId, v.version, dir);
  if (existsSync(path)) throw new Error(`${path} exists: v${v.version} is released already`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(v.avro, null, 2)}\n`, { flag: 'wx' });
  return path;
}
