/**
 * The public face of the domain for browser code (web/): the rules the page shows and checks before
 * sending, and the shapes the API answers with. Values come only from modules that run without Node;
 * the rest is types, erased at build.
 */
export * from './wish-terms.js';
export * from './text-rules.js';
export * from './pass-shape.js';
export type { FieldProblem, PassProblem } from './errors.js';
