#!/usr/bin/env node
// The CLI is compiled TypeScript; `npm ci` (prepare) and `npm start` build it into dist/.
import '../dist/src/cli/main.js';
