import { Duration } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { Slo } from '../../src/ops/index.js';
import { WISH_ACCEPTANCE_METRICS, WISH_ACCEPTANCE_SERVICE } from '../../src/runtime/wish-acceptance-emf.js';

/**
 * The windows of a multi-window, multi-burn-rate alert for a 30-day budget: it fires when the long
 * window has burnt `factor` times the budget's rate AND the short window still does (so it clears
 * soon after the burning stops). The first, second and fourth pairs are deploy/prometheus/slo-rules.yaml's
 * (src/ops/slo-rules.ts: page 14.4× over 1 h with 5 m, 6× over 6 h with 30 m; ticket 1× over 3 d with
 * 6 h); the third, 3× over 1 d with 2 h, is the extra ticket Sloth and Pyrra add, which CloudWatch's
 * coarser evaluation makes worth having.
 *
 * CloudWatch has no rate over a window: each window is one alarm whose period is the window,
 * evaluated once (CloudWatch's default sliding window, not one aligned to the clock). CloudWatch allows
 * period × evaluations up to 7 days for periods of an hour or more, and up to 1 day below an hour, so
 * every window here fits, the 3-day one included. An alarm cannot say `for: 2m` as the Prometheus
 * rules do: the short window plays that part.
 */
export const BURN_WINDOWS = [
  { severity: 'page', factor: 14.4, long: Duration.hours(1), short: Duration.minutes(5) },
  { severity: 'page', factor: 6, long: Duration.hours(6), short: Duration.minutes(30) },
  { severity: 'ticket', factor: 3, long: Duration.days(1), short: Duration.hours(2) },
  { severity: 'ticket', factor: 1, long: Duration.days(3), short: Duration.hours(6) },
] as const;

export interface BurnRateProps {
  /** The objective (its target) the alarms watch, as read from slo/ by src/ops (the same check as `exodus slo rules`). */
  readonly slo: Slo;
  readonly prefix: string;
  /** Where the frontend writes its EMF counts (EXODUS_EMF_NAMESPACE). */
  readonly metricsNamespace: string;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly action: IAlarmAction;
}

/**
 * The wish-acceptance availability objective's burn-rate alarms, on the objective's own good and total
 * counts: the frontend writes them as EMF (src/runtime/wish-acceptance-emf.ts, classified as the SLO
 * file says: a 202, a 429 and a shed 503 with Retry-After are good, the client's own 4xx are not
 * counted), summed over every task. The 5xx the load balancer made itself (no task answered, so no
 * task counted them) are added to both bad and total: when every task is down the counts stop, and
 * these are what is left. They are for the whole load balancer (CloudWatch has them per target group
 * only for the targets' own answers), so a failing page or wall read counts here too: it errs towards paging.
 *
 * Each window pair is a composite alarm (long AND short) that notifies; its two metric alarms are parts
 * and notify nobody.
 */
export class BurnRateAlarms extends Construct {
  readonly composites: cloudwatch.CompositeAlarm[] = [];
  readonly windowAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: BurnRateProps) {
    super(scope, id);
    const { slo, prefix } = props;
    const budget = Number((1 - slo.target).toPrecision(6));
    const lb = props.loadBalancer.metrics;
    const counted = (metricName: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: WISH_ACCEPTANCE_SERVICE },
        statistic: 'Sum',
      });
    const ratio = (window: Duration): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({
        expression:
          'IF((FILL(total, 0) + FILL(elb5xx, 0)) > 0, (FILL(total, 0) - FILL(good, 0) + FILL(elb5xx, 0)) / (FILL(total, 0) + FILL(elb5xx, 0)), 0)',
        usingMetrics: {
          good: counted(WISH_ACCEPTANCE_METRICS.good),
          total: counted(WISH_ACCEPTANCE_METRICS.total),
          elb5xx: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum' }),
        },
        period: window,
        label: `${slo.name} error ratio over ${window.toHumanString()}`,
      });
    for (const { severity, factor, long, short } of BURN_WINDOWS) {
      const threshold = Number((factor * budget).toPrecision(6));
      const name = (window: Duration): string => `${prefix}-slo-${slo.name}-${severity}-${compact(window)}`;
      const windowAlarm = (window: Duration): cloudwatch.Alarm => {
        const alarm = ratio(window).createAlarm(this, `${severity}-${compact(window)}`, {
          alarmName: name(window),
          alarmDescription: `${slo.displayName}: error ratio over ${window.toHumanString()} above ${factor}× the budget (${threshold}); part of a burn-rate pair (${slo.file})`,
          threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        this.windowAlarms.push(alarm);
        return alarm;
      };
      const composite = new cloudwatch.CompositeAlarm(this, `${severity}-${compact(long)}-${compact(short)}`, {
        compositeAlarmName: `${prefix}-slo-${slo.name}-${severity}-${compact(long)}-${compact(short)}`,
        alarmDescription:
          `${severity.toUpperCase()}: ${slo.displayName} (${slo.target * 100} % over 30 days): the error budget burns at ${factor}× ` +
          `over ${long.toHumanString()} and still over ${short.toHumanString()}. ${slo.file}`,
        alarmRule: cloudwatch.AlarmRule.allOf(windowAlarm(long), windowAlarm(short)),
      });
      composite.addAlarmAction(props.action);
      composite.addOkAction(props.action);
      this.composites.push(composite);
    }
  }
}

/** `1h`, `30m`, `3d`: for names. */
function compact(window: Duration): string {
  const seconds = window.toSeconds();
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${seconds / 60}m`;
}
