// Reads a report.json back (for --compare), refusing anything else with one line
// that names the file and what is wrong with it.
import { readFileSync } from 'node:fs';
import type { ReportData } from './report.js';
import type { SweepPoint } from './sweeps.js';

/** A file that is not a readable report.json: the message is one line naming it. */
export class ReportFileError extends Error {
  override name = 'ReportFileError';
}

/** Current report.json objects; the older bare array of points is read too (no environment, no spread). */
export function readReportFile(path: string): Pick<ReportData, 'points'> & Partial<ReportData> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReportFileError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : `cannot read it (${code ?? String(error)})`}; give the report.json an iommu-wasm report wrote`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ReportFileError(`${path}: not JSON (${(error as Error).message}); give the report.json an iommu-wasm report wrote`);
  }
  const report = Array.isArray(data) ? { points: data } : data;
  const points = (report as { points?: unknown } | null)?.points;
  if (!Array.isArray(points) || points.length === 0 || !points.every(isPoint)) {
    throw new ReportFileError(`${path}: not an iommu-wasm report.json (no sweep points); give the report.json an iommu-wasm report wrote`);
  }
  return report as Pick<ReportData, 'points'> & Partial<ReportData>;
}

function isPoint(p: unknown): p is SweepPoint {
  if (typeof p !== 'object' || p === null) return false;
  const q = p as Record<string, unknown>;
  return typeof q.sweep === 'string' && typeof q.series === 'string' && (typeof q.x === 'number' || typeof q.x === 'string')
    && ['hitRate', 'missesPerUnit', 'pteReadsPerTranslation', 'pteReadsPerWalk', 'engineTranslationsPerSecond'].every((k) => typeof q[k] === 'number');
}
