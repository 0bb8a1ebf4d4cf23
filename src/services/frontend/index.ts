export { buildFrontend, type FrontendDeps } from './app.js';
