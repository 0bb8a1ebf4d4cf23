import { openMessaging } from '../../engines/index.js';
import { table } from '../../ops/text-table.js';
import { QUEUES, type DeadLetterQueue, type QueueName } from '../../ports/index.js';
import type { Config } from '../../runtime/index.js';
import { CliError, defineVerb, oneOf, text, toggle, whole, type Verb } from '../verb.js';

/** `--queue` names a queue here (the engine then comes from `--data` or `EXODUS_QUEUE`). */
const queueOption = oneOf(
  '--queue <name>',
  'the queue: intake, store or tally (the engine then comes from --data or EXODUS_QUEUE)',
  Object.values(QUEUES),
  { required: true },
);
const example = (action: string, more = ''): string => `exodus dlq ${action} --data .exodus --queue intake${more}`;

/** The operator's dead-letter tools: `exodus dlq list|show|redrive|purge --queue NAME [--id ID]`. */
export const dlqVerbs: readonly Verb[] = [
  defineVerb({
    path: ['dlq', 'list'],
    needsData: true,
    summary: 'list the dead letters of a queue, with their last error',
    options: {
      queue: queueOption,
      limit: whole('--limit <n>', 'at most this many', { min: 1 }, { default: '50' }),
      json: toggle('--json', 'print JSON instead of tables'),
    },
    settings: 'engines',
    examples: [example('list')],
    run: async ({ options, config }) => {
      const letters = await withDeadLetters(config(), options.queue, (dead) => dead.list(options.limit));
      if (options.json === true) console.log(JSON.stringify(letters, null, 2));
      else if (letters.length === 0) console.log(`the ${options.queue} dead-letter queue is empty`);
      else
        console.log(
          table(
            ['id', 'type', 'attempts', 'dead at', 'last error'],
            letters.map((l) => [l.message.id, l.message.type, l.attempts, l.deadAt, l.lastError.slice(0, 80)]),
          ),
        );
    },
  }),
  defineVerb({
    path: ['dlq', 'show'],
    needsData: true,
    summary: 'show one dead letter whole',
    options: { queue: queueOption, id: text('--id <id>', 'the message', { required: true }) },
    settings: 'engines',
    examples: [example('show', ' --id 01a2…accepted')],
    run: async ({ options, config }) => {
      const letter = await withDeadLetters(config(), options.queue, (dead) => dead.get(options.id));
      if (letter === undefined) throw new CliError(`no dead letter ${options.id} in ${options.queue}`);
      console.log(JSON.stringify(letter, null, 2));
    },
  }),
  defineVerb({
    path: ['dlq', 'redrive'],
    needsData: true,
    summary: 'put dead letters back in their queue, intact, with a fresh attempt count',
    options: { queue: queueOption, id: text('--id <id>', 'one message', { fallback: 'all' }) },
    settings: 'engines',
    examples: [example('redrive')],
    run: async ({ options, config }) => {
      const moved = await withDeadLetters(config(), options.queue, (dead) => dead.redrive(idsOf(options.id)));
      console.log(`redrove ${moved} message(s) to ${options.queue}`);
    },
  }),
  defineVerb({
    path: ['dlq', 'purge'],
    needsData: true,
    summary: 'drop dead letters',
    options: { queue: queueOption, id: text('--id <id>', 'one message', { fallback: 'all' }) },
    settings: 'engines',
    examples: [example('purge')],
    run: async ({ options, config }) => {
      const dropped = await withDeadLetters(config(), options.queue, (dead) => dead.purge(idsOf(options.id)));
      console.log(`purged ${dropped} message(s) from ${options.queue}'s dead-letter queue`);
    },
  }),
];

/** Works on a queue's dead letters, the engine open only while it does. */
async function withDeadLetters<T>(
  config: Config,
  queue: QueueName,
  work: (dead: DeadLetterQueue) => Promise<T>,
): Promise<T> {
  const messaging = await openMessaging(config.queueUrl, config);
  try {
    return await work(messaging.queue(queue).deadLetters);
  } finally {
    await messaging.close();
  }
}

const idsOf = (id: string | undefined): string[] | undefined => (id === undefined ? undefined : [id]);
