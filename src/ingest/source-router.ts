/**
 * Tells which source a stream record belongs to, in O(1) per record, from the
 * registry's {@link Recognition} rules, in this order:
 * 1. first bytes: a source's exact prefixes (`{"e":"trade"`): the hot path;
 * 2. the envelope: `{"source":"<id>",…}` names the source in its first key;
 * 3. any other JSON object is parsed once and its `source` field looked up
 *    (the parsed document goes to the source, which does not parse again);
 * 4. a JSON object naming a source that is not registered is {@link UNREGISTERED}
 *    (the transform quarantines it, saying so);
 * 5. everything else goes to the fallback source, which names the format error.
 */
import type { SourceDefinition } from '../sources/contract.js';

const ENVELOPE = '{"source":"';

/** What {@link SourceRouter.route} returns for a record whose envelope names no registered source. */
export const UNREGISTERED = -1;

export class SourceRouter {
  private readonly prefixes: readonly (readonly [string, number])[];
  private readonly byEnvelope = new Map<string, number>();
  private readonly fallback: number;
  /** The JSON document the last {@link route} parsed (undefined when it did not parse). */
  json: unknown;
  /** The ids the router knows, for messages. */
  readonly known: readonly string[];

  constructor(sources: readonly SourceDefinition[]) {
    const fallbacks = sources.flatMap((s, i) => (s.recognition.fallback ? [i] : []));
    if (fallbacks.length !== 1) throw new Error(`exactly one source must be the fallback, found ${fallbacks.length}`);
    this.fallback = fallbacks[0]!;
    this.known = sources.map((s) => s.id);
    this.prefixes = sources.flatMap((s, i) => (s.recognition.prefixes ?? []).map((p) => [p, i] as const));
    sources.forEach((s, i) => {
      const e = s.recognition.envelope;
      if (e === undefined) return;
      if (this.byEnvelope.has(e)) throw new Error(`two sources claim the envelope ${JSON.stringify(e)}`);
      this.byEnvelope.set(e, i);
    });
  }

  /**
   * Index (into the sources given) of the source that takes `text`, or {@link UNREGISTERED};
   * sets {@link json} when it parsed the text.
   */
  route(text: string): number {
    this.json = undefined;
    for (const [p, i] of this.prefixes) if (text.startsWith(p)) return i;
    if (text.charCodeAt(0) !== 123 /* { */) return this.fallback;
    if (text.startsWith(ENVELOPE)) {
      const end = text.indexOf('"', ENVELOPE.length);
      const i = end > 0 ? this.byEnvelope.get(text.slice(ENVELOPE.length, end)) : undefined;
      if (i !== undefined) return i;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return this.fallback; // it reports the JSON error with its own reason
    }
    this.json = doc;
    const id = typeof doc === 'object' && doc !== null ? (doc as { source?: unknown }).source : undefined;
    if (typeof id !== 'string') return this.fallback;
    return this.byEnvelope.get(id) ?? UNREGISTERED;
  }
}
