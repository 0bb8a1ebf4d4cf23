import uPlot from 'uplot';
import type { Chart, ChartMarker } from '../../src/services/console/api-shapes.js';
import { h } from './dom.js';

/** Series colours on the dark background, each ≥ 4.5:1 against it; the legend names them too. */
const PALETTE = ['#9fd3f5', '#ffc66d', '#9be7b0', '#ffa39a', '#d3b7ff', '#ff9d6e'];
const AXIS = '#b9c1d6';
const GRID = '#2c3757';
const HEIGHT_PX = 180;
/** Deploy markers: a dashed vertical line in a colour no series uses, labelled with the versions. */
const MARKER = '#f5f5f5';

interface Plotted {
  readonly shape: string;
  readonly figure: HTMLElement;
  readonly summary: HTMLParagraphElement;
  readonly plot: uPlot;
  /** What the draw hook marks: replaced on every refresh, drawn on the next redraw. */
  markers: readonly ChartMarker[];
}

/**
 * The console's charts (the last 15 minutes), drawn by uPlot on canvas, with deploys marked. A refresh with the same
 * charts and series only swaps the data, so the cursor and the legend stay put. uPlot styles its own
 * elements through CSSOM (`element.style`), which the CSP allows; its stylesheet is bundled into
 * styles.css, so nothing is injected.
 */
export class Charts {
  readonly element = h('div', { class: 'charts' });
  readonly #plotted = new Map<string, Plotted>();
  readonly #resize = new ResizeObserver(() => this.#fit());
  /** Charts side by side when there is room (the overview's four), or one per row (the explorer's one). */
  readonly #perRow: 1 | 2;

  constructor(options: { readonly perRow?: 1 | 2 } = {}) {
    this.#perRow = options.perRow ?? 2;
    this.#resize.observe(this.element);
  }

  update(charts: readonly Chart[]): void {
    const figures: HTMLElement[] = [];
    const seen = new Set<string>();
    for (const chart of charts) {
      seen.add(chart.title);
      const shape = JSON.stringify([chart.unit, chart.series.map((series) => series.label)]);
      let plotted = this.#plotted.get(chart.title);
      if (plotted?.shape !== shape) {
        plotted?.plot.destroy();
        plotted = this.#create(chart, shape);
        this.#plotted.set(chart.title, plotted);
      } else {
        plotted.markers = chart.markers ?? [];
        plotted.plot.setData(dataOf(chart));
      }
      plotted.figure.dataset['markers'] = String(plotted.markers.length);
      plotted.summary.textContent = summaryOf(chart);
      figures.push(plotted.figure);
    }
    for (const [title, plotted] of this.#plotted) {
      if (!seen.has(title)) {
        plotted.plot.destroy();
        this.#plotted.delete(title);
      }
    }
    // Same nodes in the same order: replaceChildren would move them and lose nothing, but skip the work.
    if (
      figures.some((figure, i) => this.element.children[i] !== figure) ||
      this.element.children.length !== figures.length
    ) {
      this.element.replaceChildren(...figures);
    }
    if (figures.length === 0) this.element.replaceChildren(h('p', { class: 'muted' }, 'No chart data yet.'));
  }

  destroy(): void {
    this.#resize.disconnect();
    for (const plotted of this.#plotted.values()) plotted.plot.destroy();
    this.#plotted.clear();
  }

  #create(chart: Chart, shape: string): Plotted {
    const canvas = h('div', { class: 'chart-canvas', attrs: { 'aria-hidden': 'true' } });
    const summary = h('p', { class: 'visually-hidden' });
    const caption = h('figcaption', {}, chart.title, h('span', { class: 'unit' }, ` (${chart.unit})`));
    const figure = h('figure', { class: 'chart', attrs: { 'data-chart': chart.title } }, caption, canvas, summary);
    const axis = { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 } };
    // Filled in below: the hook reads the markers of the latest refresh.
    const plotted: { markers: readonly ChartMarker[] } = { markers: chart.markers ?? [] };
    const options: uPlot.Options = {
      width: this.#width(),
      height: HEIGHT_PX,
      // UTC, like every other time on the console.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
      scales: { x: { time: true } },
      series: [
        { value: (_plot: uPlot, seconds: number | null) => (seconds === null ? '–' : utc(seconds).slice(11, 19)) },
        ...chart.series.map((series, i) => ({
          label: series.label,
          stroke: PALETTE[i % PALETTE.length] ?? AXIS,
          width: 1.5,
          points: { show: false },
          value: (_plot: uPlot, value: number | null) => (value === null ? '–' : formatValue(value)),
        })),
      ],
      axes: [
        { ...axis, values: (_plot, splits, _axis, _space, increment) => splits.map((s) => timeTick(s, increment)) },
        { ...axis, size: 56, values: (_plot, splits) => splits.map(formatValue) },
      ],
      legend: { show: true, live: true },
      hooks: { draw: [(u) => drawMarkers(u, plotted.markers)] },
    };
    const plot = new uPlot(options, dataOf(chart), canvas);
    return Object.assign(plotted, { shape, figure, summary, plot });
  }

  /** Two charts side by side when there is room and they are wanted so, else one per row. */
  #width(): number {
    const available = this.element.clientWidth || 800;
    return Math.max(280, Math.floor(available >= 900 && this.#perRow === 2 ? available / 2 - 24 : available - 8));
  }

  #fit(): void {
    const width = this.#width();
    for (const { plot } of this.#plotted.values()) if (plot.width !== width) plot.setSize({ width, height: HEIGHT_PX });
  }
}

/** Each marker in the plotted time: a dashed line across the plot, its label at the top. */
function drawMarkers(u: uPlot, markers: readonly ChartMarker[]): void {
  const { ctx, bbox } = u;
  const [min, max] = [u.scales['x']?.min, u.scales['x']?.max];
  if (min === undefined || max === undefined) return;
  ctx.save();
  ctx.strokeStyle = MARKER;
  ctx.fillStyle = MARKER;
  ctx.lineWidth = devicePixelRatio;
  ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
  ctx.font = `${10 * devicePixelRatio}px sans-serif`;
  for (const marker of markers) {
    if (marker.time < min || marker.time > max) continue;
    const x = Math.round(u.valToPos(marker.time, 'x', true));
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    // The label reads to the right of its line, or to the left where the plot ends (a deploy just now).
    const width = ctx.measureText(marker.label).width;
    const gap = 3 * devicePixelRatio;
    const left = x + gap + width > bbox.left + bbox.width ? x - gap - width : x + gap;
    ctx.fillText(marker.label, left, bbox.top + 10 * devicePixelRatio);
  }
  ctx.restore();
}

function dataOf(chart: Chart): uPlot.AlignedData {
  return [[...chart.times], ...chart.series.map((series) => [...series.values])];
}

/** What the canvas shows, in words: each series' latest value. */
function summaryOf(chart: Chart): string {
  const latest = chart.series.map((series) => {
    const value = [...series.values].reverse().find((v) => v !== null);
    return `${series.label} ${value === undefined || value === null ? 'no data' : formatValue(value)}`;
  });
  const deploys = (chart.markers ?? []).map((m) => `${m.label} at ${utc(m.time).slice(11, 19)}`);
  return `Latest ${chart.unit}: ${latest.join(', ')}.${deploys.length === 0 ? '' : ` Deploys: ${deploys.join('; ')}.`}`;
}

function utc(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** 24-hour UTC ticks: `10:15`, or `10:15:30` when ticks are seconds apart, or `08-23` when days. */
function timeTick(seconds: number, incrementSeconds: number): string {
  const iso = utc(seconds);
  if (incrementSeconds >= 86_400) return iso.slice(5, 10);
  return incrementSeconds < 60 ? iso.slice(11, 19) : iso.slice(11, 16);
}

function formatValue(value: number): string {
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}
