/** The pipeline's services, in the order a wish meets them. */
export const PIPELINE_SERVICES = ['frontend', 'parser', 'worker', 'tally'] as const;
export type PipelineService = (typeof PIPELINE_SERVICES)[number];

/** The services that consume a queue; the frontend is the one that does not. */
export type ConsumerName = Exclude<PipelineService, 'frontend'>;

/** Every service Exodus runs (`exodus serve <service>`): the pipeline's and the ops console. */
export const SERVICES = [...PIPELINE_SERVICES, 'console'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** `exodus-worker` → `worker`: how the CLI, the supervisor and an operator name a service. */
export const shortServiceName = (service: string): string => service.replace(/^exodus-/, '');
