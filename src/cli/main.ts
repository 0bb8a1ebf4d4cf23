import { CommanderError, type Command } from 'commander';
import { InputError } from '../ops/input-error.js';
import { ConfigError } from '../runtime/index.js';
import { buildProgram } from './program.js';
import { CliError } from './verb.js';

/**
 * The `exodus` command line (commander): usage mistakes, bad settings and bad input files are one line on stderr and
 * exit 2 (commander's own, with its suggestion, folded onto that line); a failure of the work itself
 * is one line and exit 1.
 */
async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  // Errors come back here as exceptions, on every verb and sub-verb, and are printed below as one line.
  const quiet = (command: Command): void => {
    command.exitOverride().configureOutput({ outputError: () => undefined });
    command.commands.forEach(quiet);
  };
  quiet(program);
  await program.parseAsync([...argv], { from: 'user' });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // --help and --version end here too, having printed what was asked; a verb given without its
    // sub-verb (`exodus chaos`) printed its help and is a usage error.
    if (error.exitCode === 0) process.exit(0);
    if (error.code === 'commander.help') process.exit(2);
    console.error(`exodus: ${oneLine(error.message.replace(/^error: /, ''))} (exodus --help)`);
    process.exit(2);
  }
  if (error instanceof CliError || error instanceof ConfigError || error instanceof InputError) {
    console.error(`exodus: ${oneLine(error.message)}`);
    process.exit(2);
  }
  console.error(`exodus: ${oneLine(error instanceof Error ? error.message : String(error))}`);
  process.exit(1);
});

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
