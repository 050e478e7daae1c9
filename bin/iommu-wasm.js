#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli to dist/src/cli. Usage errors are
// handled inside (exit 2); what escapes here is a command that failed: one line and
// exit 1, or exit 2 when it needs a library that is not installed. `--verbose` (any
// position) or IOMMU_WASM_VERBOSE=1 prints the stack instead, for bug reports.
const args = process.argv.slice(2);
const verbose = args.includes('--verbose') || /^(1|true|yes)$/i.test(process.env.IOMMU_WASM_VERBOSE ?? '');
const rest = args.filter((a) => a !== '--verbose');

import('../dist/src/cli/main.js').then((m) => m.main(rest)).catch((err) => {
  const missingPeer = err instanceof Error && err.name === 'MissingPeerError';
  if (verbose && err instanceof Error && err.stack) console.error(err.stack);
  else {
    const message = err instanceof Error ? err.message : String(err);
    console.error(missingPeer ? message : `${message} (--verbose prints the stack)`);
  }
  process.exit(missingPeer ? 2 : 1);
});
