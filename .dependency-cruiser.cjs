/**
 * The architecture, enforced (`npm run lint`). Paths are matched anywhere in the tree so the rules'
 * own test can run them on a fixture: see test/unit/boundaries.test.ts.
 *   domain   → nothing of ours
 *   ports    → domain
 *   engines  → ports, domain, and are the only code importing their SDKs
 *   services → ports, domain, runtime; never an engine
 *   runtime  → ports, domain; never an engine or a service (cli wires those)
 *   web      → only the browser face of the domain (src/domain/browser.ts); it talks to the rest over HTTP
 *   ops      → product tooling users run (load, chaos, audit, SLO rules): engines through their public face
 *   src      → never the test kit (testkit/: launchers, private servers, ledgers, temp dirs) or the bench
 *   test, bench, deploy, lab → the test kit only through its faces (testkit/index.ts; browser, in-process,
 *              fault-run and aws/index for the parts that load heavy things); the kit imports no test
 */
const TESTKIT_FACES = '(index|browser|console-tabs|in-process|fault-run|aws/index)\\.ts$';
const SDKS = '^(better-sqlite3|pg|@nats-io|nats|@aws-sdk)';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'the-product-ships-no-test-kit',
      comment: 'Tests and the bench use the product; the product never uses their helpers.',
      severity: 'error',
      from: { path: '(^|/)src/' },
      to: { path: '(^|/)(testkit|bench|lab)/' },
    },
    {
      name: 'the-test-kit-through-its-faces',
      comment: 'Tests, the bench and deploy/local import the test kit through its faces, never its files.',
      severity: 'error',
      from: { path: '(^|/)(test|bench|deploy|lab)/', pathNot: '(^|/)testkit/' },
      to: { path: '(^|/)testkit/', pathNot: `(^|/)testkit/${TESTKIT_FACES}` },
    },
    {
      name: 'the-test-kit-stands-alone',
      comment: 'The kit serves the tests and the bench; it imports neither.',
      severity: 'error',
      from: { path: '(^|/)testkit/' },
      to: { path: '(^|/)(bench|lab|test/(unit|contract|integration|e2e|deploy))/' },
    },
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds the rules; it imports nothing of ours.',
      severity: 'error',
      from: { path: '(^|/)src/domain/' },
      to: { path: '(^|/)src/(?!domain/)' },
    },
    {
      name: 'ports-only-know-domain',
      severity: 'error',
      from: { path: '(^|/)src/ports/' },
      to: { path: '(^|/)src/(?!ports/|domain/)' },
    },
    {
      name: 'services-never-import-engines',
      comment: 'A service gets ports; which engine is behind them is wired in cli/.',
      severity: 'error',
      from: { path: '(^|/)src/services/' },
      to: { path: '(^|/)src/(engines|cli)/' },
    },
    {
      name: 'runtime-is-engine-and-service-agnostic',
      severity: 'error',
      from: { path: '(^|/)src/runtime/' },
      to: { path: '(^|/)src/(engines|services|cli)/' },
    },
    {
      name: 'engines-do-not-know-services',
      severity: 'error',
      from: { path: '(^|/)src/engines/' },
      to: { path: '(^|/)src/(services|runtime|cli)/' },
    },
    {
      name: 'sdks-only-in-engines',
      comment: 'Driver SDKs stay behind the ports, in engines/.',
      severity: 'error',
      from: { path: '(^|/)src/', pathNot: '(^|/)src/engines/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: SDKS },
    },
    {
      name: 'a-verb-is-one-file',
      comment:
        'A verb never imports another verb: what two verbs share is orchestration (src/ops) or a CLI helper (src/cli/*.ts).',
      severity: 'error',
      from: { path: '(^|/)src/cli/verbs/([^/]+)\\.ts$', pathNot: '(^|/)src/cli/verbs/index\\.ts$' },
      to: { path: '(^|/)src/cli/verbs/', pathNot: '(^|/)src/cli/verbs/$2\\.ts$' },
    },
    {
      name: 'web-only-knows-the-browser-domain',
      comment:
        'Browser code shares the rules through src/domain/browser.ts (and the API shapes) and reaches everything else over HTTP.',
      severity: 'error',
      from: { path: '(^|/)web/' },
      to: {
        path: '(^|/)src/',
        pathNot: '(^|/)src/(domain/browser|services/(console|frontend)/api-shapes|services/shared/wire-shape)\\.ts$',
      },
    },
    {
      name: 'web-reads-api-shapes-as-types-only',
      comment:
        'The API shapes hold the server’s schemas too: the page imports their types (erased at build), never a value.',
      severity: 'error',
      from: { path: '(^|/)web/' },
      to: { path: '(^|/)src/services/(console|frontend)/api-shapes\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-shapes-import-no-code',
      comment:
        'The API shapes are data and types the page compiles against: only the browser face of the domain, the schema-to-type helper and type-only imports.',
      severity: 'error',
      from: { path: '(^|/)src/services/(console|frontend)/api-shapes\\.ts$' },
      to: {
        pathNot: '(^|/)src/(domain/browser|services/shared/wire-shape)\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'browser-domain-runs-without-node',
      comment: 'What the page bundles must not need Node built-ins or server libraries.',
      severity: 'error',
      from: { path: '(^|/)src/domain/(browser|wish-terms|burn-rate)\\.ts$' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'one-public-face-per-engine',
      comment:
        'Outside an engine, import it through engines/index.ts (or engines/chaos.ts, what fault injection can do to an engine; engines/lambda.ts, the AWS engines for a Lambda bundle), never its files.',
      severity: 'error',
      from: { path: '(^|/)src/(?!engines/)' },
      to: { path: '(^|/)src/engines/[^/]+/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
