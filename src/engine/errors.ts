// Errors the engine API throws on misuse (bad arguments, exhausted resources).
// Faults are not errors: they are results.
export class EngineError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'EngineError';
  }
}

const BUILD_CODES: Record<number, [string, string]> = {
  [-1]: ['EXISTS', 'part of the range is already mapped'],
  [-2]: ['NO_MEMORY', 'out of table or physical memory'],
  [-3]: ['BAD_RANGE', 'range is misaligned, empty, outside the input or output address space, or the permissions are not mappable'],
  [-4]: ['BAD_SPACE', 'no such space, or the space does not own its tables'],
  [-5]: ['BAD_TABLE', 'a table pointer names a page the space\'s allocator did not hand to this space (double free or foreign page: an engine-owned table was rewritten); that page was neither followed nor freed'],
  [-6]: ['NO_METADATA', 'out of table-page records (EngineOptions.tablePageRecords)'],
};

/** The error for a negative code of the core, from a table of [EngineError code, text] by code. */
export function codeError(codes: Record<number, [string, string]>, operation: string, code: number): EngineError {
  const [name, text] = codes[code] ?? ['UNKNOWN', `code ${code}`];
  return new EngineError(`${operation}: ${text}`, name);
}

export function buildError(operation: string, code: number): EngineError {
  return codeError(BUILD_CODES, operation, code);
}
