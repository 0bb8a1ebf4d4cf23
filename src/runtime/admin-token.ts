import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileDurably } from './durable-file.js';

/** Where `exodus up` and `exodus serve console` keep the generated token (mode 0600). */
export const adminTokenFile = (dataDir: string): string => join(dataDir, 'admin-token');

/**
 * The ops console's token: `EXODUS_ADMIN_TOKEN` if set, else the one in `<data>/admin-token`,
 * generated there (owner-only) the first time. Every process started by `exodus up` reads the same
 * file, so the console and the exporters that send to it agree without the token on a command line.
 */
export function adminToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = env['EXODUS_ADMIN_TOKEN'];
  if (given !== undefined && given !== '') return given;
  const file = adminTokenFile(dataDir);
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored !== '') return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  // Created whole or not at all, even across a power cut; two processes racing cannot both win: the loser reads the winner's token.
  if (!createFileDurably(file, `${token}\n`, 0o600)) {
    const winners = readFileSync(file, 'utf8').trim();
    if (winners === '') throw new Error(`${file} is empty (a crash while it was written?): remove it`);
    return winners;
  }
  chmodSync(file, 0o600);
  return token;
}

/** Compares a presented token with the real one in constant time. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
