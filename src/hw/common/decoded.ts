// What decoding a guest-programmed structure, register value or descriptor yields:
// the value, or why not. A model's reason is architectural (a VT-d fault reason code,
// an SMMU event number) or, for a queue error, a one-line explanation; never an
// errno, which is the driver contract's (src/iommu/result.ts), a layer above.

export type Decoded<T, Why = number> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: Why };

export function decoded<T>(value: T): Decoded<T, never> {
  return { ok: true, value };
}

export function refused<Why>(reason: Why): Decoded<never, Why> {
  return { ok: false, reason };
}
