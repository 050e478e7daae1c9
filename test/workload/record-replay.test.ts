// `run --record` then `replay` gives the same counters as the run itself, streamed.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScenario } from '../../src/workload/scenarios/index.js';
import { replayTrace, runWorkload } from '../../src/workload/node.js';
import { BinaryTraceReader, fileSource } from '../../src/trace/node.js';

describe('record and replay', () => {
  it.each(['nic-strict', 'guest-nic-flush-queue', 'vm', 'invalidation-storm'])('%s: replay reproduces every counter', async (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'iommu-replay-'));
    try {
      const file = join(dir, `${name}.iotrace`);
      const run = await runWorkload(createScenario(name, { steps: 600 }), { record: file });
      const replay = await replayTrace(file);
      expect(replay.counters).toEqual(run.counters);
      expect(replay.records).toEqual(run.records);
      expect(replay.translations).toBe(run.translations);
      const reader = await BinaryTraceReader.open(fileSource(file));
      expect(reader.header.seed).toBe(1n);
      expect((reader.header.metadata as { scenario: string }).scenario).toBe(name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
