// A workload: the machine it needs and a deterministic stream of operations. The
// stream is a pure function of the parameters and the seed; it is produced step by
// step (a step is a packet, an I/O, a job or a burst) so callers can report progress
// and await a trace writer between steps.
import type { JsonValue } from '../trace/records.js';
import type { OpSink } from './ops.js';
import type { Topology } from './topology.js';

export interface Workload {
  /** Scenario name (`nic-strict`, `storage-random`, ...). */
  name: string;
  /** What one step is, for the summary ("packet", "I/O"). */
  unit: string;
  steps: number;
  topology: Topology;
  /** The parameters, as stored in a recorded trace's header. */
  params: JsonValue;
  /** Persistent mappings made before the first step. */
  setup(sink: OpSink): void;
  /** Emits one step's operations. */
  step(sink: OpSink): void;
  /** Operations owed at the end (a flush queue's last flush). */
  finish(sink: OpSink): void;
}

/** Runs a whole workload into a sink (tests, small traces). */
export function emitAll(workload: Workload, sink: OpSink): void {
  workload.setup(sink);
  for (let i = 0; i < workload.steps; i++) workload.step(sink);
  workload.finish(sink);
}
