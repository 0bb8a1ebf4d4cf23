import { openMessaging } from '../engines/index.js';
import { QUEUES, type QueueName } from '../ports/index.js';
import { CliError, requireString, type VerbInput } from './args.js';
import { table } from './status.js';

/** `exodus dlq list|show|redrive|purge --queue NAME [--id ID] [--limit N]`: the operator's dead-letter tools. */
export async function dlqCommand({ flags, positionals, config: settings }: VerbInput): Promise<void> {
  const [action] = positionals;
  const config = settings();
  const name = requireString(flags, 'queue');
  if (!Object.values(QUEUES).includes(name as QueueName))
    throw new CliError(`--queue must be one of ${Object.values(QUEUES).join(', ')}`);
  const id = typeof flags['id'] === 'string' ? flags['id'] : undefined;
  const limit = Number(flags['limit'] ?? 50);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a positive integer');
  const messaging = await openMessaging(config.queueUrl, config);
  const dead = messaging.queue(name as QueueName).deadLetters;
  try {
    switch (action) {
      case 'list': {
        const letters = await dead.list(limit);
        if (flags['json'] === true) console.log(JSON.stringify(letters, null, 2));
        else if (letters.length === 0) console.log(`the ${name} dead-letter queue is empty`);
        else
          console.log(
            table(
              ['id', 'type', 'attempts', 'dead at', 'last error'],
              letters.map((l) => [l.message.id, l.message.type, l.attempts, l.deadAt, l.lastError.slice(0, 80)]),
            ),
          );
        return;
      }
      case 'show': {
        const letter = await dead.get(requireString(flags, 'id'));
        if (letter === undefined) throw new CliError(`no dead letter ${String(flags['id'])} in ${name}`);
        console.log(JSON.stringify(letter, null, 2));
        return;
      }
      case 'redrive':
        console.log(`redrove ${await dead.redrive(id === undefined ? undefined : [id])} message(s) to ${name}`);
        return;
      case 'purge':
        console.log(
          `purged ${await dead.purge(id === undefined ? undefined : [id])} message(s) from ${name}'s dead-letter queue`,
        );
        return;
      default:
        throw new CliError('dlq what? list, show --id ID, redrive [--id ID], purge [--id ID]');
    }
  } finally {
    await messaging.close();
  }
}
