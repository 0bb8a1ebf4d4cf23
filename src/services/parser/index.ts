export { createParserHandler, type ParserDeps } from './handler.js';
