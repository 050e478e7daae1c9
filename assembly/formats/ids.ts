// Format identifiers shared with TypeScript (src/engine/types.ts FormatId).
export const FORMAT_X86_64: u8 = 1;
export const FORMAT_VTD_SS: u8 = 2;

/** Whether `levels` is a level count the format supports. */
export function levelsSupported(format: u8, levels: u32): bool {
  if (format == FORMAT_X86_64) return levels == 4 || levels == 5;
  if (format == FORMAT_VTD_SS) return levels >= 3 && levels <= 5;
  return false;
}
