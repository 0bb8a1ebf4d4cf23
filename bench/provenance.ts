import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus, platform, release, totalmem } from 'node:os';

/** Where and on what code a measurement was taken: every result file (latest, history, guard baseline) says so. */
export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

/** `dirty`: src/ differs from the commit; `srcDiffSha256` names that diff. */
export interface GitState {
  readonly commit: string;
  readonly dirty: boolean;
  readonly srcDiffSha256?: string;
}

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${platform()} ${release()}`,
  };
}

/** Undefined outside a git checkout. */
export function gitState(): GitState | undefined {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const diff = git('diff', 'HEAD', '--', 'src');
    // The hash names the uncommitted state of src/ that was measured, so two dirty runs can be told apart.
    return {
      commit: git('rev-parse', 'HEAD'),
      dirty: diff !== '',
      ...(diff === '' ? {} : { srcDiffSha256: createHash('sha256').update(diff).digest('hex').slice(0, 12) }),
    };
  } catch {
    return undefined;
  }
}
