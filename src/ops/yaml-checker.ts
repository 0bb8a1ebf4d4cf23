import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

/** The names of the `.yaml` files in `dir` (the ready-made scenarios and experiments), sorted. */
export function yamlNamesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => basename(file, '.yaml'))
    .sort();
}

/** A place in a YAML document: keys and list indexes from the root. */
export type Path = readonly (string | number)[];

/**
 * Parses a YAML file meant for people to write (load scenarios, chaos experiments) and returns its
 * value with a `Checker` whose every error names the file and line; `error` makes the error the caller's type.
 */
export function parseYaml(
  text: string,
  source: string,
  error: (message: string) => Error,
): { root: unknown; check: Checker } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError !== undefined)
    throw error(
      `${source}:${lines.linePos(firstError.pos[0]).line}: ${firstError.message.split('\n')[0] ?? 'not YAML'}`,
    );
  return { root: doc.toJS(), check: new Checker(doc, lines, source, error) };
}

/** Checks values against the document they came from, so that every error names its line. */
export class Checker {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly source: string,
    private readonly error: (message: string) => Error,
  ) {}

  fail(path: Path, message: string): never {
    throw this.error(`${this.source}:${this.lineOf(path)}: ${message}`);
  }

  object(
    value: unknown,
    path: Path,
    keys: { required: readonly string[]; optional: readonly string[] },
  ): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(path, `${this.label(path)} must be a mapping`);
    const object = value as Record<string, unknown>;
    const allowed = [...keys.required, ...keys.optional];
    for (const key of Object.keys(object)) {
      if (!allowed.includes(key))
        this.fail([...path, key], `unknown key "${key}" in ${this.label(path)} (allowed: ${allowed.join(', ')})`);
    }
    for (const key of keys.required)
      if (object[key] === undefined) this.fail(path, `${this.label(path)} needs "${key}"`);
    return object;
  }

  string(value: unknown, path: Path): string {
    if (typeof value !== 'string' || value.trim() === '')
      this.fail(path, `${this.label(path)} must be a non-empty string`);
    return value;
  }

  number(value: unknown, path: Path, bounds: { min: number; integer?: boolean }): number {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < bounds.min ||
      (bounds.integer === true && !Number.isInteger(value))
    ) {
      this.fail(
        path,
        `${this.label(path)} must be ${bounds.integer === true ? 'an integer' : 'a number'} ≥ ${bounds.min}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  private label(path: Path): string {
    return path.length === 0 ? 'the scenario' : `"${path.join('.')}"`;
  }

  /** The line of the deepest node along `path` that exists (its key's line, for a key that is there). */
  private lineOf(path: Path): number {
    for (let depth = path.length; depth > 0; depth--) {
      const parent = depth === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, depth - 1), true);
      const key = path[depth - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
        const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        if (range !== undefined) return this.lines.linePos(range[0]).line;
      }
      if (isSeq(parent) && typeof key === 'number') {
        const range = (parent.items[key] as { range?: [number, number, number] } | undefined)?.range;
        if (range !== undefined) return this.lines.linePos(range[0]).line;
      }
    }
    return 1;
  }
}
