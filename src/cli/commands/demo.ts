// `iommu-wasm demo vtd`: the nested VT-d flow through iommufd, printed as it runs.
import { runVtdIommufdExample } from '../../examples/vtd/iommufd-nested.js';

const DEMOS: Record<string, () => Promise<string | string[]>> = {
  vtd: runVtdIommufdExample,
};

export async function demoCommand(name: string): Promise<void> {
  const demo = DEMOS[name];
  if (!demo) throw new Error(`unknown demo "${name}" (known: ${Object.keys(DEMOS).join(', ')})`);
  const transcript = await demo();
  process.stdout.write(`${Array.isArray(transcript) ? transcript.join('\n') : transcript}\n`);
}
