import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import {
  BUDGET_PERIOD,
  BURN_RATE_ALERTS,
  BURN_WINDOWS,
  describePairs,
  errorBudget,
  type BurnPair,
  type BurnWindow,
} from '../domain/index.js';
import { InputError } from './input-error.js';

/**
 * Service level objectives as OpenSLO v1 documents (`slo/*.yaml`: kind SLO, an inline ratio
 * indicator over Prometheus counters, one objective) turned into Prometheus rules: the error ratio
 * of each SLO over the windows the alerts need, and the multi-window, multi-burn-rate alerts of
 * src/domain/burn-rate.ts (which the ops console evaluates too): page when 14.4× the budget burns
 * over 1 h (and still over 5 m) or 6× over 6 h (and 30 m); ticket when 1× burns over 3 d (and 6 h).
 */
export interface Slo {
  readonly name: string;
  readonly displayName: string;
  readonly service: string;
  readonly description: string;
  readonly target: number;
  /** Prometheus counter selectors: good events, all events. */
  readonly good: string;
  readonly total: string;
  readonly file: string;
}

/** An SLO document that cannot be used: names the file and the field. */
export class SloError extends InputError {}

/** Reads every `*.yaml` document of `dir` (tests/ and other folders are not read). */
export function readSlos(dir: string): Slo[] {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .sort();
  if (files.length === 0) throw new SloError(`${dir}: no SLO documents (*.yaml)`);
  return files.flatMap((name) => {
    const file = join(dir, name);
    return parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new SloError(`${file}: ${document.errors[0]?.message ?? 'not YAML'}`);
      return sloOf(document.toJS() as unknown, file);
    });
  });
}

/** One document as an Slo, or an error naming the first field that is wrong. */
export function sloOf(document: unknown, file: string): Slo {
  const at = (path: string): unknown =>
    path
      .split('.')
      .reduce<unknown>(
        (value, key) =>
          typeof value === 'object' && value !== null
            ? (value as Record<string, unknown>)[/^\d+$/.test(key) ? Number(key) : key]
            : undefined,
        document,
      );
  const text = (path: string): string => {
    const value = at(path);
    if (typeof value !== 'string' || value.trim() === '')
      throw new SloError(`${file}: ${path} must be a non-empty string`);
    return value;
  };
  if (at('apiVersion') !== 'openslo/v1') throw new SloError(`${file}: apiVersion must be openslo/v1`);
  if (at('kind') !== 'SLO') throw new SloError(`${file}: kind must be SLO`);
  const name = text('metadata.name');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name))
    throw new SloError(`${file}: metadata.name must be lowercase letters, digits and dashes`);
  const target = at('spec.objectives.0.target');
  if (typeof target !== 'number' || !(target > 0 && target < 1))
    throw new SloError(`${file}: spec.objectives.0.target must be a number between 0 and 1 (e.g. 0.999)`);
  if (at('spec.budgetingMethod') !== 'Occurrences')
    throw new SloError(`${file}: spec.budgetingMethod must be Occurrences (the rules count events)`);
  if (at('spec.timeWindow.0.duration') !== BUDGET_PERIOD)
    throw new SloError(
      `${file}: spec.timeWindow.0.duration must be ${BUDGET_PERIOD} (the burn rates are set for a 30-day budget)`,
    );
  const ratio = 'spec.indicator.spec.ratioMetric';
  if (at(`${ratio}.counter`) !== true)
    throw new SloError(`${file}: ${ratio}.counter must be true (good and total are counters)`);
  for (const side of ['good', 'total']) {
    if (at(`${ratio}.${side}.metricSource.type`) !== 'Prometheus')
      throw new SloError(`${file}: ${ratio}.${side}.metricSource.type must be Prometheus`);
  }
  return {
    name,
    displayName: typeof at('metadata.displayName') === 'string' ? String(at('metadata.displayName')) : name,
    service: text('spec.service'),
    description: typeof at('spec.description') === 'string' ? String(at('spec.description')) : '',
    target,
    good: text(`${ratio}.good.metricSource.spec.query`),
    total: text(`${ratio}.total.metricSource.spec.query`),
    file,
  };
}

const errorRatio = (window: BurnWindow): string => `slo:sli_error:ratio_rate${window}`;

/** The Prometheus rule file (YAML) for these SLOs: one group per SLO. */
export function prometheusRules(slos: readonly Slo[]): string {
  const groups = slos.map((slo) => {
    const budget = errorBudget(slo.target);
    const labels = { slo: slo.name, service: slo.service };
    const selector = `{slo="${slo.name}"}`;
    const burning = (pairs: readonly BurnPair[]): string =>
      pairs
        .map(
          ({ factor, long, short }) =>
            `(${errorRatio(long)}${selector} > (${factor} * ${budget}) and ${errorRatio(short)}${selector} > (${factor} * ${budget}))`,
        )
        .join(' or ');
    return {
      name: `slo-${slo.name}`,
      rules: [
        ...BURN_WINDOWS.map((window) => ({
          record: errorRatio(window),
          expr: `1 - (sum(rate(${slo.good}[${window}])) / sum(rate(${slo.total}[${window}])))`,
          labels: { ...labels },
        })),
        ...BURN_RATE_ALERTS.map((alert) => ({
          alert: alert.alert,
          expr: burning(alert.pairs),
          for: alert.for,
          labels: { ...labels, severity: alert.severity },
          annotations: {
            summary: `${slo.displayName}: ${alert.summary}`,
            description: `${slo.description} ${capitalised(alert.severity)}: ${describePairs(alert.pairs)}. (${slo.file})`,
          },
        })),
      ],
    };
  });
  return `# Generated by \`exodus slo rules\` from ${[...new Set(slos.map((slo) => slo.file))].join(', ')}: do not edit, edit the SLOs.\n${stringify({ groups }, { lineWidth: 0 })}`;
}

const capitalised = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
