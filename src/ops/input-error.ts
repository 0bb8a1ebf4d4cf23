/**
 * Something the user gave is wrong: a scenario, a roster, a ledger, an experiment, an SLO document.
 * The message names the file and what is wrong in it; the CLI prints it as one line and exits 2, as
 * for any usage mistake.
 */
export class InputError extends Error {}
