import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileDurably } from '../../../src/runtime/durable-file.js';
import { passSecret } from '../../../src/runtime/index.js';
import { tempDir } from '../../../testkit/index.js';

describe('createFileDurably', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const dir = (): string => {
    const made = tempDir();
    dirs.push(made);
    return made;
  };

  it('creates the file whole with its mode, and leaves no draft behind', () => {
    const at = dir();
    expect(createFileDurably(join(at, 'secret'), 'content', 0o600)).toBe(true);
    expect(readFileSync(join(at, 'secret'), 'utf8')).toBe('content');
    expect(statSync(join(at, 'secret')).mode & 0o777).toBe(0o600);
    expect(readdirSync(at)).toEqual(['secret']);
  });

  it('never replaces a file that exists (the race loser reads the winner), and leaves no draft behind', () => {
    const at = dir();
    createFileDurably(join(at, 'secret'), 'first', 0o600);
    expect(createFileDurably(join(at, 'secret'), 'second', 0o600)).toBe(false);
    expect(readFileSync(join(at, 'secret'), 'utf8')).toBe('first');
    expect(readdirSync(at)).toEqual(['secret']);
  });

  it('a pass secret cut short by a crash is refused rather than signing with an empty key', () => {
    const at = dir();
    writeFileSync(join(at, 'pass-secret'), '');
    expect(() => passSecret(at, {}).reveal()).toThrow(/empty or cut short/);
  });
});
