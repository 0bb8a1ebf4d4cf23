import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CONSUMERS, type ConsumerName, type Names } from './names.js';

/**
 * How a new consumer version takes traffic: 10 % of invocations for 5 minutes, then all of it. Five
 * minutes is one period of the alarms that judge it (errors, oldest message), so a bad version is seen
 * before it has everything.
 */
export const CONSUMER_DEPLOYMENT = codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES;

export interface CanariesProps {
  readonly names: Names;
  readonly aliases: Readonly<Record<ConsumerName, lambda.Alias>>;
  /** Per consumer, the alarms that roll its deployment back. */
  readonly consumerHealth: Readonly<Record<ConsumerName, readonly cloudwatch.IAlarm[]>>;
  readonly frontend: ecs.BaseService;
  /** The alarms that roll a frontend deployment back (besides the circuit breaker's failed tasks). */
  readonly frontendHealth: readonly cloudwatch.IAlarm[];
}

/**
 * Deployments that undo themselves. Each consumer's alias `live` moves to a new version through a
 * CodeDeploy deployment group (CloudFormation hands the alias update to CodeDeploy), which shifts
 * traffic as CONSUMER_DEPLOYMENT says and shifts it all back if one of the consumer's alarms fires, or
 * the deployment fails or is stopped. The frontend's ECS service already rolls back tasks that never
 * get healthy (the circuit breaker, frontend.ts); here its 5xx alarms roll it back too.
 */
export class Canaries extends Construct {
  readonly deploymentGroups: Readonly<Record<ConsumerName, codedeploy.LambdaDeploymentGroup>>;

  constructor(scope: Construct, id: string, props: CanariesProps) {
    super(scope, id);
    const application = new codedeploy.LambdaApplication(this, 'Application', {
      applicationName: `${props.names.prefix}-consumers`,
    });
    const groups = {} as Record<ConsumerName, codedeploy.LambdaDeploymentGroup>;
    for (const name of CONSUMERS) {
      groups[name] = new codedeploy.LambdaDeploymentGroup(this, name, {
        application,
        deploymentGroupName: props.names.fn(name),
        alias: props.aliases[name],
        deploymentConfig: CONSUMER_DEPLOYMENT,
        alarms: [...props.consumerHealth[name]],
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
    }
    this.deploymentGroups = groups;
    props.frontend.enableDeploymentAlarms(
      props.frontendHealth.map((alarm) => alarm.alarmName),
      { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
    );
  }
}
