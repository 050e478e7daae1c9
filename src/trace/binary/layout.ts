// Every constant of the binary trace layout in one place; docs/trace-format.md
// describes the same bytes and must change with this file.

/**
 * 0x89 catches 7-bit transports and "IOTRC" names the file in a hex dump;
 * CR LF catches text-mode newline conversion (the PNG trick).
 */
export const MAGIC = Uint8Array.of(0x89, 0x49, 0x4f, 0x54, 0x52, 0x43, 0x0d, 0x0a);

/** A reader accepts exactly its own major version... */
export const VERSION_MAJOR = 1;
/** ...and any minor version: minors only append header fields, which readers skip. */
export const VERSION_MINOR = 0;

/** magic(8) + major u16 + minor u16 + header body length u32. */
export const PREAMBLE_BYTES = 16;
export const HEADER_CRC_BYTES = 4;
/** Larger header bodies are taken as corruption rather than waited for. */
export const MAX_HEADER_BODY_BYTES = 1 << 20;

export const CHUNK_MARKER = 0x43; // 'C'
export const TRAILER_MARKER = 0x45; // 'E'

/** marker u8 + payload length u32 + record count u32 + payload CRC u32 + frame CRC u32. */
export const CHUNK_FRAME_BYTES = 17;
/** Bytes covered by the frame CRC: everything in the frame before it. */
export const CHUNK_FRAME_CHECKED_BYTES = 13;
/**
 * The reader's hard limit: a corrupted length field must not make it buffer
 * gigabytes. Writers stay far below (DEFAULT_CHUNK_BYTES).
 */
export const MAX_CHUNK_PAYLOAD_BYTES = 16 << 20;
export const DEFAULT_CHUNK_BYTES = 64 << 10;

/** marker u8 + four u64 record counts + chunk count u32 + CRC u32. */
export const TRAILER_BYTES = 41;
export const TRAILER_CHECKED_BYTES = 37;

// Record type bytes. The high bits say what the record is, the low bits are
// per-kind flags that let the common case drop whole fields.

export const MAP_BASE = 0x10; // 0x10..0x1f
export const MAP_SAME_SPACE = 0x01;
export const MAP_SAME_PERMS = 0x02;
export const MAP_ADDR_CONTIGUOUS = 0x04;
export const MAP_SAME_LENGTH = 0x08;

export const UNMAP_BASE = 0x20; // 0x20, 0x21, 0x28, 0x29
export const UNMAP_SAME_SPACE = 0x01;
export const UNMAP_SAME_LENGTH = 0x08;
export const UNMAP_FLAGS = UNMAP_SAME_SPACE | UNMAP_SAME_LENGTH;

export const INVALIDATE_BASE = 0x30; // 0x30..0x3f, see isValidInvalidateType
export const INVALIDATE_KIND_MASK = 0x03; // 0 range, 1 space, 2 group, 3 all
export const INVALIDATE_LEAF_ONLY = 0x04;
export const INVALIDATE_SAME_SPACE = 0x08;

export const DMA_BASE = 0x80; // 0x80..0xff except access 3
export const DMA_SLOT_MASK = 0x03;
export const DMA_SAME_LENGTH = 0x04;
export const DMA_ACCESS_SHIFT = 3; // 2 bits: 0 read, 1 write, 2 exec
export const DMA_ACCESS_MASK = 0x18;
export const DMA_NEW_STREAM = 0x20;
export const DMA_STRIDE = 0x40;

/** Recently used IOVAs remembered per DMA stream (device, PASID). */
export const DMA_HISTORY_SLOTS = 4;
