// Where this package lives and which version it is, found from this module's own
// location so it works from the sources (src/report/), the build (dist/src/report/)
// and an installed copy (node_modules/iommu-wasm/dist/src/report/).
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  /** The folder holding iommu-wasm's package.json. */
  root: string;
  version: string;
}

let cached: PackageInfo | undefined;

/** iommu-wasm's package.json: two folders up from src/report/, three from dist/src/report/. */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  for (const up of ['../../package.json', '../../../package.json']) {
    const url = new URL(up, import.meta.url);
    try {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'iommu-wasm' && typeof pkg.version === 'string') {
        cached = { root: dirname(fileURLToPath(url)), version: pkg.version };
        return cached;
      }
    } catch {
      // not this one
    }
  }
  throw new Error('iommu-wasm: cannot find the package.json of iommu-wasm');
}

export function packageVersion(): string {
  return packageInfo().version;
}
