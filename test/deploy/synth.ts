import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExodusStack, type ExodusStackProps } from '../../deploy/aws/exodus-stack.js';

/** CloudFormation as JSON: what the assertions below read. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Resource {
  readonly id: string;
  readonly type: string;
  readonly props: Record<string, Json>;
  readonly raw: Record<string, Json>;
}

/** The feature flags `cdk init` writes for this aws-cdk-lib, kept in deploy/aws/cdk.json: what a deploy synthesizes with. */
const FEATURE_FLAGS = (
  JSON.parse(readFileSync(join(import.meta.dirname, '../../deploy/aws/cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** A stack of placeholders (inline Lambda code, a registry image): synthesizes offline in seconds. */
export function synth(props: Partial<ExodusStackProps> = {}): Synthesized {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new ExodusStack(app, 'Exodus', {
    lambdaCode: (name) =>
      lambda.Code.fromInline(`export const handler = async () => ({ batchItemFailures: [] }); // ${name}`),
    frontendImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:24-bookworm-slim'),
    ...props,
  });
  return new Synthesized(Template.fromStack(stack), Annotations.fromStack(stack));
}

export class Synthesized {
  readonly json: { Resources: Record<string, Record<string, Json>>; Outputs?: Record<string, Record<string, Json>> };

  constructor(
    readonly template: Template,
    private readonly annotations: Annotations,
  ) {
    this.json = template.toJSON() as Synthesized['json'];
  }

  /** The warnings the stack's constructs added (Annotations): what `cdk synth` prints. */
  warnings(): string[] {
    return this.annotations
      .findWarning('*', Match.anyValue())
      .map((message) =>
        typeof message.entry.data === 'string' ? message.entry.data : JSON.stringify(message.entry.data),
      );
  }

  all(type: string): Resource[] {
    return Object.entries(this.json.Resources)
      .filter(([, raw]) => raw['Type'] === type)
      .map(([id, raw]) => ({ id, type, props: (raw['Properties'] ?? {}) as Record<string, Json>, raw }));
  }

  /** The one resource of `type` that `where` picks; fails unless exactly one does. */
  one(type: string, where: (props: Record<string, Json>) => boolean = () => true): Resource {
    const found = this.all(type).filter((resource) => where(resource.props));
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0] as Resource;
  }

  byId(id: string): Resource {
    const raw = this.json.Resources[id];
    if (raw === undefined) throw new Error(`no resource ${id}`);
    return { id, type: render(raw['Type']), props: (raw['Properties'] ?? {}) as Record<string, Json>, raw };
  }

  /** The logical id a `Ref` or `Fn::GetAtt` points at. */
  static target(reference: Json | undefined): string {
    if (reference !== null && typeof reference === 'object' && !Array.isArray(reference)) {
      if (typeof reference['Ref'] === 'string') return reference['Ref'];
      const getAtt = reference['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
    }
    throw new Error(`not a reference: ${JSON.stringify(reference)}`);
  }

  /** The statements of every IAM policy attached to the role `roleId`. */
  statementsOf(roleId: string): Statement[] {
    return this.all('AWS::IAM::Policy')
      .filter((policy) => (policy.props['Roles'] as Json[]).some((role) => Synthesized.target(role) === roleId))
      .flatMap((policy) =>
        ((policy.props['PolicyDocument'] as Record<string, Json>)['Statement'] as Json[]).map((s) => statement(s)),
      );
  }
}

export interface Statement {
  readonly effect: string;
  readonly actions: string[];
  /** Each resource rendered as text (`${Table.Arn}/index/*`), `*` as itself. */
  readonly resources: string[];
}

function statement(raw: Json): Statement {
  const s = raw as Record<string, Json>;
  const list = (value: Json | undefined): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
  return {
    effect: render(s['Effect']),
    actions: list(s['Action']).map(String),
    resources: list(s['Resource']).map(render),
  };
}

/** CloudFormation intrinsics as readable text: `Ref X` → `${X}`, `GetAtt X.Y` → `${X.Y}`, `Join` joined. */
export function render(value: Json | undefined): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(render).join(',');
  if (typeof value['Ref'] === 'string') return `\${${value['Ref']}}`;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `\${${getAtt.map(String).join('.')}}`;
  const join = value['Fn::Join'];
  if (Array.isArray(join)) return ((join[1] ?? []) as Json[]).map(render).join(render(join[0]));
  return JSON.stringify(value);
}
