// Linux errno numbers (asm-generic/errno-base.h and errno.h values, identical on
// x86-64 and arm64). ioctl results are these negated: the syscall surface returns
// -errno exactly where the kernel would set errno.

export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const EBADF = 9;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOTTY = 25;
export const ESPIPE = 29;
export const ERANGE = 34;
export const EBADE = 52;
export const EBADFD = 77;
export const EMSGSIZE = 90;
export const EOPNOTSUPP = 95;
export const EADDRINUSE = 98;
export const ENOSPC = 28;
export const EOVERFLOW = 75;

/** Every errno the uAPI layer can produce, by name; used for messages and tests. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [EIO]: 'EIO',
  [ENXIO]: 'ENXIO',
  [E2BIG]: 'E2BIG',
  [EBADF]: 'EBADF',
  [ENOMEM]: 'ENOMEM',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST',
  [ENODEV]: 'ENODEV',
  [EINVAL]: 'EINVAL',
  [ENOTTY]: 'ENOTTY',
  [ENOSPC]: 'ENOSPC',
  [ESPIPE]: 'ESPIPE',
  [ERANGE]: 'ERANGE',
  [EOVERFLOW]: 'EOVERFLOW',
  [EBADE]: 'EBADE',
  [EBADFD]: 'EBADFD',
  [EMSGSIZE]: 'EMSGSIZE',
  [EOPNOTSUPP]: 'EOPNOTSUPP',
  [EADDRINUSE]: 'EADDRINUSE',
});

/** "EINVAL" for 22 or -22; "errno 123" for numbers this layer never produces. */
export function errnoName(code: number): string {
  return ERRNO_NAMES[Math.abs(code)] ?? `errno ${Math.abs(code)}`;
}
