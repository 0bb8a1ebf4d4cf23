import { readFileSync } from 'node:fs';

/**
 * A V8 `.cpuprofile` (what `node --cpu-prof` writes at exit) reduced to what a reader compares
 * before and after a change: where the samples fell, by frame (self time: the function on top of
 * the stack) and by package (a node_modules package, or the src/ folder of our own code). Only the
 * parts of the format read here are typed.
 */
interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based, in the compiled JavaScript (dist/), not the TypeScript source. */
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  /** µs between a sample and the one before it. */
  readonly timeDeltas: readonly number[];
}

export interface Share {
  readonly name: string;
  /** Self time: sampled time with this on top of the stack. */
  readonly ms: number;
  /** Of the busy time (idle left out), 0–100. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly samples: number;
  /** Samples in V8's `(idle)`: the process waited for I/O. */
  readonly idleSamples: number;
  /** Sampled time that was not idle, in ms. */
  readonly busyMs: number;
  readonly topFrames: readonly Share[];
  readonly topPackages: readonly Share[];
}

const IDLE = '(idle)';
/** V8's own entries, which no caller explains. */
const V8_OWN = new Set(['(program)', '(garbage collector)', '(root)']);

export function summarise(file: string, top: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parentOf = new Map(profile.nodes.flatMap((node) => (node.children ?? []).map((child) => [child, node.id])));
  // A native function (no url: writev, a better-sqlite3 statement's run) counts for the package that called it.
  const packageAt = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = frameOf.get(at);
      if (frame !== undefined && frame.url !== '') return packageOf(frame);
    }
    return packageOf(frameOf.get(id) ?? { functionName: '', url: '', lineNumber: 0 });
  };
  const byFrame = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let idleSamples = 0;
  let busyUs = 0;
  // Weighted by time, not counted: on a loaded machine the sampler falls behind its interval, unevenly
  // (as in DevTools, a sample stands for the time until the next one).
  profile.samples.forEach((id, i) => {
    const frame = frameOf.get(id);
    if (frame === undefined) return;
    if (frame.functionName === IDLE) {
      idleSamples++;
      return;
    }
    const us = profile.timeDeltas[i + 1] ?? 0;
    busyUs += us;
    add(byFrame, frameName(frame), us);
    add(byPackage, V8_OWN.has(frame.functionName) ? packageOf(frame) : packageAt(id), us);
  });
  const ranked = (totals: Map<string, number>): Share[] =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        percent: busyUs === 0 ? 0 : Math.round((us / busyUs) * 1000) / 10,
      }));
  return {
    samples: profile.samples.length,
    idleSamples,
    busyMs: Math.round(busyUs / 1000),
    topFrames: ranked(byFrame),
    topPackages: ranked(byPackage),
  };
}

function add(totals: Map<string, number>, key: string, us: number): void {
  totals.set(key, (totals.get(key) ?? 0) + us);
}

/** `name (file:line)`, the file shortened to the package or src/ path; V8's own entries as they are. */
function frameName(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return V8_OWN.has(name) ? name : `${name} (native)`;
  return `${name} (${shortFile(frame.url)}:${frame.lineNumber + 1})`;
}

function shortFile(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length);
  const ours = /\/dist\/((?:src|bench|testkit)\/.*)$/.exec(path);
  return ours?.[1] ?? path;
}

/**
 * The package a frame belongs to: `pino`, `@opentelemetry/sdk-trace-base`, `node:` for Node's own
 * JavaScript, `src/engines/sqlite` (engines and services by their sub-folder, the rest by folder),
 * `(v8)` for the program, the collector and native code.
 */
export function packageOf(frame: CallFrame): string {
  const { url } = frame;
  if (url === '') return frame.functionName === '(garbage collector)' ? '(garbage collector)' : '(v8)';
  if (url.startsWith('node:')) return 'node:';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope = '', name = ''] = path.slice(modules + '/node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  const ours = /\/dist\/(src|bench|testkit)\/([^/]+)(?:\/([^/]+)\/)?/.exec(path);
  if (ours === null) return path;
  const [, root, folder = '', sub] = ours;
  const nested = (folder === 'engines' || folder === 'services') && sub !== undefined;
  return nested ? `${root}/${folder}/${sub}` : `${root}/${folder}`;
}
