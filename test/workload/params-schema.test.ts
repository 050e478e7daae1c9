// Issue 17, defect 9: every generator parameter is declared once (type, range,
// meaning; defaults from the generator), and createScenario checks overrides against
// the declarations, so no generator sees a value it cannot use.
import { describe, expect, it } from 'vitest';
import { checkOverrides, createScenario, scenarioParams, SCENARIO_NAMES } from '../../src/workload/scenarios/index.js';
import { checkParam, ParamError } from '../../src/workload/params.js';
import { GATE_SCENARIOS } from '../../src/gate/scenarios.js';
import { Rng } from '../../src/workload/rng.js';

describe('generator parameter declarations', () => {
  it.each(SCENARIO_NAMES)('%s: every parameter is declared and its default fits its declaration', (name) => {
    const params = scenarioParams(name);
    expect(params.length).toBeGreaterThan(8);
    for (const p of params) {
      expect(p.spec, p.name).toBeDefined();
      expect(p.spec.meaning.length, p.name).toBeGreaterThan(5);
      expect(() => checkParam(p.name, p.spec, p.default), p.name).not.toThrow();
    }
    expect(() => checkOverrides(name, {})).not.toThrow();
  });

  it('the gate scenarios pass the checks (their counters are unchanged)', () => {
    for (const s of GATE_SCENARIOS) expect(() => checkOverrides(s.scenario, s.overrides), s.name).not.toThrow();
  });

  it.each([
    ['nic-strict', { ringSize: -5 }, 'ringSize'],
    ['nic-strict', { steps: -1 }, 'steps'],
    ['nic-strict', { steps: 'x' }, 'steps'],
    ['nic-strict', { nosuch: 1 }, 'nosuch'],
    ['nic-strict', { requestBytes: 3 }, 'requestBytes'],
    ['nic-strict', { requestBytes: 8192 }, 'requestBytes'],
    ['nic-strict', { pageSize: '2M' }, 'pageSize'],
    ['nic-strict', { seed: 2 ** 32 }, 'seed'],
    ['dma-stream', { rings: 4096, hugeBytes: 2 ** 21 }, 'rings'],
    ['invalidation-storm', { weights: { range: 0, space: 0, group: 0, all: 0 } }, 'weights'],
  ])('createScenario(%s, %j) throws a ParamError naming %s', (name, overrides, param) => {
    let error: unknown;
    try {
      createScenario(name, overrides as Record<string, unknown>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParamError);
    expect((error as ParamError).param).toBe(param);
  });

  it('completes object parameters from the defaults and reads sizes as declared', () => {
    expect(checkOverrides('invalidation-storm', { weights: { all: 0 } })).toEqual({ weights: { range: 80, space: 12, group: 6, all: 0 } });
    expect(checkOverrides('sva', { workingSetBytes: 32 * 2 ** 20, pageSize: '2M' })).toEqual({ workingSetBytes: 32 * 2 ** 20, pageSize: '2M' });
  });

  it('seed 0 is a seed: the RNG mixes it (no all-zero state), and its stream differs from seed 1', () => {
    const a = new Rng(0);
    const b = new Rng(1);
    const xs = Array.from({ length: 8 }, () => a.u32());
    expect(new Set(xs).size).toBe(8);
    expect(xs).not.toEqual(Array.from({ length: 8 }, () => b.u32()));
    expect(() => createScenario('nic-strict', { seed: 0, steps: 10 })).not.toThrow();
  });
});
