/** The pipeline's services, in the order a wish meets them. */
export const PIPELINE_SERVICES = ['frontend', 'parser', 'worker', 'tally'] as const;
export type PipelineService = (typeof PIPELINE_SERVICES)[number];

/** The services that consume a queue; the frontend is the one that does not. */
export type ConsumerName = Exclude<PipelineService, 'frontend'>;

/** The consumers, in the order a wish meets them. */
export const CONSUMER_NAMES: readonly ConsumerName[] = ['parser', 'worker', 'tally'];

/**
 * Every consumer's loop in one process: `exodus up`'s default, since on a small machine one process
 * per consumer paid a heap and an event loop each for work that is mostly waiting on the engines.
 */
export const CONSUMERS_TOGETHER = 'consumers';

/** Every service Exodus runs (`exodus serve <service>`): the pipeline's, all consumers together, and the ops console. */
export const SERVICES = [...PIPELINE_SERVICES, CONSUMERS_TOGETHER, 'console'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** `exodus-worker` → `worker`: how the CLI, the supervisor and an operator name a service. */
export const shortServiceName = (service: string): string => service.replace(/^exodus-/, '');
