// The optional peer dependencies: the library needs none of them; the command line,
// the report and the benchmarks do. A command checks its peers before it loads the
// modules that import them, so a missing one is a one-line message with the npm
// command instead of a module-resolution stack trace.

/** The peers each part needs (package.json peerDependencies, all optional). */
export const PEERS = {
  /** The `iommu-wasm` command itself: argument parsing and the progress bar. */
  cli: ['commander', 'cli-progress'],
  /** `iommu-wasm report` and `iommu-wasm/report`'s writeReport: charts, PNGs, worker threads. */
  report: ['vega', 'vega-lite', '@resvg/resvg-js', 'piscina'],
  /** `iommu-wasm bench`, and `iommu-wasm gate` unless `--speed off`. */
  bench: ['tinybench'],
} as const;

export class MissingPeerError extends Error {
  constructor(readonly what: string, readonly missing: readonly string[]) {
    super(`${what} needs ${listed(missing)}, not installed (optional peer ${missing.length === 1 ? 'dependency' : 'dependencies'} of iommu-wasm): npm i ${missing.join(' ')}`);
    this.name = 'MissingPeerError';
  }
}

function listed(names: readonly string[]): string {
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function notFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** Whether `name` resolves from this package, as the modules that import it would resolve it. */
async function installed(name: string): Promise<boolean> {
  try {
    if (typeof import.meta.resolve === 'function') {
      import.meta.resolve(name);
    } else {
      await import(name);
    }
    return true;
  } catch (error) {
    if (notFound(error)) return false;
    throw error;
  }
}

export async function missingPeers(names: readonly string[]): Promise<string[]> {
  const found = await Promise.all(names.map(installed));
  return names.filter((_, i) => !found[i]);
}

/** Throws a MissingPeerError naming every peer of `names` that is not installed. */
export async function requirePeers(what: string, names: readonly string[]): Promise<void> {
  const missing = await missingPeers(names);
  if (missing.length > 0) throw new MissingPeerError(what, missing);
}
