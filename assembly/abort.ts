// The core never throws on purpose: a failed assertion (debug build only) traps,
// so no `env.abort` import is needed and the module instantiates with no imports.
export function onAbort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}
