// A struct layout is the single source of truth for one uAPI struct: field offsets and
// widths (exported, part of the public API), sizeof, and the minimum accepted size
// (offsetofend of the last mandatory field, spec §1.3). Encoding and decoding are
// generic over the layout so no handler computes an offset by hand.
// All fields are little-endian: the uAPI is host-endian and every host of interest is LE.

export type FieldKind = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 'bytes';

export interface Field<K extends FieldKind = FieldKind> {
  readonly offset: number;
  readonly width: number;
  readonly kind: K;
}

export type FieldValue<K extends FieldKind> = K extends 'u64'
  ? bigint
  : K extends 'bytes'
    ? Uint8Array
    : number;

export type Fields = Readonly<Record<string, Field>>;

export type StructValue<F extends Fields> = {
  [N in keyof F]: F[N] extends Field<infer K> ? FieldValue<K> : never;
};

export interface StructLayout<F extends Fields = Fields> {
  readonly name: string;
  readonly sizeof: number;
  /** Smallest `size` the kernel accepts: offsetofend of the last mandatory field. */
  readonly minSize: number;
  readonly fields: F;
}

export const u8 = (offset: number): Field<'u8'> => ({ offset, width: 1, kind: 'u8' });
export const u16 = (offset: number): Field<'u16'> => ({ offset, width: 2, kind: 'u16' });
export const u32 = (offset: number): Field<'u32'> => ({ offset, width: 4, kind: 'u32' });
export const s32 = (offset: number): Field<'s32'> => ({ offset, width: 4, kind: 's32' });
export const u64 = (offset: number): Field<'u64'> => ({ offset, width: 8, kind: 'u64' });
export const bytes = (offset: number, width: number): Field<'bytes'> => ({ offset, width, kind: 'bytes' });

/** offsetofend(struct, field). */
export function offsetOfEnd(field: Field): number {
  return field.offset + field.width;
}

export function defineStruct<F extends Fields>(
  name: string,
  sizeof: number,
  fields: F,
  lastMandatory: keyof F,
): StructLayout<F> {
  for (const [fieldName, f] of Object.entries(fields)) {
    if (f.offset + f.width > sizeof) throw new Error(`${name}.${fieldName} overruns sizeof ${sizeof}`);
    if (f.kind === 'u64' && f.offset % 8 !== 0) throw new Error(`${name}.${fieldName} is not 8-byte aligned`);
  }
  const minSize = offsetOfEnd(fields[lastMandatory]);
  return Object.freeze({ name, sizeof, minSize, fields: Object.freeze(fields) });
}

export function readField<K extends FieldKind>(view: DataView, field: Field<K>, base = 0): FieldValue<K> {
  const at = base + field.offset;
  switch (field.kind) {
    case 'u8':
      return view.getUint8(at) as FieldValue<K>;
    case 'u16':
      return view.getUint16(at, true) as FieldValue<K>;
    case 'u32':
      return view.getUint32(at, true) as FieldValue<K>;
    case 's32':
      return view.getInt32(at, true) as FieldValue<K>;
    case 'u64':
      return view.getBigUint64(at, true) as FieldValue<K>;
    case 'bytes':
      return new Uint8Array(view.buffer, view.byteOffset + at, field.width).slice() as FieldValue<K>;
  }
  throw new Error(`unknown field kind ${String(field.kind)}`);
}

export function writeField<K extends FieldKind>(view: DataView, field: Field<K>, value: FieldValue<K>, base = 0): void {
  const at = base + field.offset;
  switch (field.kind) {
    case 'u8':
      view.setUint8(at, value as number);
      return;
    case 'u16':
      view.setUint16(at, value as number, true);
      return;
    case 'u32':
      view.setUint32(at, (value as number) >>> 0, true);
      return;
    case 's32':
      view.setInt32(at, value as number, true);
      return;
    case 'u64':
      view.setBigUint64(at, BigInt.asUintN(64, value as bigint), true);
      return;
    case 'bytes': {
      const src = value as Uint8Array;
      new Uint8Array(view.buffer, view.byteOffset + at, field.width).set(src.subarray(0, field.width));
      return;
    }
  }
}

export function decodeStruct<F extends Fields>(layout: StructLayout<F>, view: DataView, base = 0): StructValue<F> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(layout.fields)) out[name] = readField(view, f, base);
  return out as StructValue<F>;
}

export function encodeStruct<F extends Fields>(
  layout: StructLayout<F>,
  value: Partial<StructValue<F>>,
  view: DataView,
  base = 0,
): void {
  for (const [name, f] of Object.entries(layout.fields)) {
    const v = (value as Record<string, unknown>)[name];
    if (v !== undefined) writeField(view, f, v as FieldValue<FieldKind>, base);
  }
}

/**
 * A fresh zeroed buffer of `sizeof` bytes holding `value`; `size` defaults to sizeof
 * when the layout starts with a u32 `size` field, as every iommufd command struct does.
 */
export function packStruct<F extends Fields>(layout: StructLayout<F>, value: Partial<StructValue<F>> = {}): Uint8Array {
  const buf = new Uint8Array(layout.sizeof);
  const view = new DataView(buf.buffer);
  const withSize: Record<string, unknown> = { ...value };
  // Only an iommufd-style leading u32 `size` is the struct size (VFIO's u64 `size` is a length).
  if (layout.fields.size?.kind === 'u32' && layout.fields.size.offset === 0 && withSize.size === undefined) withSize.size = layout.sizeof;
  encodeStruct(layout, withSize as Partial<StructValue<F>>, view);
  return buf;
}

export function unpackStruct<F extends Fields>(layout: StructLayout<F>, buf: Uint8Array): StructValue<F> {
  const full = new Uint8Array(layout.sizeof);
  full.set(buf.subarray(0, layout.sizeof));
  return decodeStruct(layout, new DataView(full.buffer));
}
