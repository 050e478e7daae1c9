// Layer rules (docs/DESIGN.md §1): imports point down, and CI fails on any that does
// not. `npm run lint:layers` runs them; `npm test` runs them first.
//
//   cli         the command (nothing imports it; peers/ is its shared helper)
//   report, gate, examples, workload   tools and demos
//   host        System: the uAPI with the mock driver and the self-test module
//   selftest    IOMMU_TEST_CMD over the uAPI and the mock driver
//   uapi        the iommufd surface; knows drivers only through src/iommu
//   drivers/<m> iommufd drivers: src/iommu + src/hw, never the uAPI
//   iommu       the driver contract
//   hw/<m>      hardware models: the engine and hw/common only
//   engine      the TypeScript face of the Wasm core
const LIBRARY = '^src/(engine|iommu|hw|drivers|uapi|selftest|host|oracle)/';
/** Every kind of npm package dependency-cruiser tells apart. */
const NPM = ['npm', 'npm-dev', 'npm-peer', 'npm-optional', 'npm-no-pkg', 'npm-unknown'];
/** The Node-only entries of otherwise browser-safe folders. */
const NODE_ONLY = '^src/(trace/node|trace/open-file|workload/node|workload/replay|workload/replay-iommufd-file)[.]ts$';

/** A rule that `from` may import nothing under src/ except the folders in `allowed`. */
function onlyImports(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: '^src/', pathNot: `^src/(${allowed.join('|')})/` },
  };
}

module.exports = {
  forbidden: [
    onlyImports('engine-is-the-bottom', '^src/engine/', ['engine'], 'The engine wraps the Wasm core and knows nothing above it.'),
    onlyImports('hw-imports-engine-and-common', '^src/hw/', ['engine', 'hw'], 'A hardware model is embedded by simulators: it imports only the engine and src/hw/common.'),
    {
      name: 'hw-models-are-independent',
      comment: 'A second model reuses src/hw/common, never another model.',
      severity: 'error',
      from: { path: '^src/hw/([^/]+)/' },
      to: { path: '^src/hw/', pathNot: '^src/hw/($1|common)/' },
    },
    onlyImports('iommu-contract-imports-engine', '^src/iommu/', ['engine', 'iommu'], 'The driver contract (include/linux/iommu.h) imports only the engine.'),
    onlyImports('drivers-below-uapi', '^src/drivers/', ['engine', 'iommu', 'hw', 'drivers'], 'Drivers use the contract and the hardware models, never the uAPI.'),
    {
      name: 'drivers-are-independent',
      severity: 'error',
      from: { path: '^src/drivers/([^/]+)/' },
      to: { path: '^src/drivers/', pathNot: '^src/drivers/$1/' },
    },
    onlyImports('uapi-knows-drivers-through-contract', '^src/uapi/', ['engine', 'iommu', 'uapi'], 'The uAPI reaches drivers only through src/iommu and is handed them by a host.'),
    onlyImports('selftest-over-uapi-and-mock', '^src/selftest/', ['engine', 'iommu', 'uapi', 'drivers/mock', 'selftest'], 'The self-test ops sit on the uAPI and the mock driver.'),
    onlyImports('host-assembles-below', '^src/host/', ['engine', 'iommu', 'uapi', 'drivers', 'selftest', 'host'], 'The host assembles the layers below it.'),
    {
      name: 'oracle-shares-only-vocabulary',
      comment: 'The reference walker shares no code with what it checks: only the Access/Perm/FaultReason numbers.',
      severity: 'error',
      from: { path: '^src/oracle/' },
      to: { path: '^src/', pathNot: '^src/(oracle/|engine/types[.]ts$)' },
    },
    {
      name: 'trace-format-is-a-leaf',
      comment: 'Trace readers and writers depend on nothing but the shared Access/Perm numbers.',
      severity: 'error',
      from: { path: '^src/trace/' },
      to: { path: '^src/', pathNot: '^src/(trace/|engine/types[.]ts$)' },
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'only-the-tools-run-benchmarks',
      comment: 'bench/ belongs to the CLI and the gate; no library folder reaches it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|gate)/' },
      to: { path: '^bench/' },
    },
    {
      name: 'library-loads-no-package',
      comment: 'A library user installs no dependency: the engine, uAPI, models and drivers import no npm package.',
      severity: 'error',
      from: { path: LIBRARY },
      to: { dependencyTypes: NPM },
    },
    {
      name: 'library-loads-no-node-module',
      comment: 'The library runs in a browser: no node: module at load (a lazy import() on a Node-only path is fine).',
      severity: 'error',
      from: { path: LIBRARY },
      to: { dependencyTypes: ['core'], dynamic: false },
    },
    {
      name: 'trace-and-workload-run-in-a-browser',
      comment: 'Trace decoding and the workloads load in a browser; file I/O sits behind their node.ts entries.',
      severity: 'error',
      from: { path: '^src/(trace|workload)/', pathNot: NODE_ONLY },
      to: { dependencyTypes: ['core', ...NPM], dynamic: false },
    },
    {
      name: 'browser-entries-stay-off-node-files',
      comment: 'What the browser entries load must not reach the Node-only files.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(cli|gate|report)/|${NODE_ONLY}` },
      to: { path: NODE_ONLY },
    },
    {
      name: 'cli-is-the-top',
      comment: 'Nothing is built on the command line; shared helpers (optional peers) live below it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-cycles-between-folders',
      comment: 'A cycle that leaves its folder ties two layers together.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, viaSomeNot: '^src/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'default'], extensions: ['.ts', '.js'] },
  },
};
