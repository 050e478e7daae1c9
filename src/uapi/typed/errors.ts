// The typed API's one failure type: an ioctl (or fd syscall) that returned -errno,
// with the errno as a number and a name, the command that failed and a sentence a
// person can read. Nothing else is thrown for a failing call.
import { ERRNO_NAMES } from '../../iommu/errno.js';

/** strerror(3) wording for every errno the uAPI layer produces. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such object or mapping',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  E2BIG: 'argument list too long (non-zero bytes past the known struct)',
  EBADF: 'bad file descriptor',
  ENOMEM: 'cannot allocate memory',
  EFAULT: 'bad address',
  EBUSY: 'device or resource busy',
  EEXIST: 'already exists',
  ENODEV: 'no such device',
  EINVAL: 'invalid argument',
  ENOTTY: 'inappropriate ioctl for device',
  ENOSPC: 'no space left (IOVA or IDs exhausted)',
  ESPIPE: 'illegal seek',
  ERANGE: 'result out of range',
  EBADE: 'invalid exchange (pages differ)',
  EBADFD: 'file descriptor in bad state',
  EOVERFLOW: 'value too large (range wraps)',
  EMSGSIZE: 'message too long (buffer too small)',
  EOPNOTSUPP: 'operation not supported',
  EADDRINUSE: 'address already in use',
};

export class IommufdError extends Error {
  override readonly name = 'IommufdError';
  /** Linux errno, positive (22 for EINVAL). */
  readonly errno: number;
  /** 'EINVAL', 'ENOENT', ... */
  readonly code: string;
  /** The command that failed, e.g. 'IOMMU_IOAS_MAP'. */
  readonly command: string;
  /** Fields the kernel writes back even on failure (HWPT_INVALIDATE's entry_num, ...). */
  readonly details: Readonly<Record<string, number | bigint>>;

  constructor(command: string, rc: number, details: Record<string, number | bigint> = {}) {
    const errno = Math.abs(rc);
    const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
    super(`${command} failed: ${code} (${errno}, ${DESCRIPTIONS[code] ?? 'unknown error'})`);
    this.errno = errno;
    this.code = code;
    this.command = command;
    this.details = Object.freeze({ ...details });
  }
}

/** Throws IommufdError for a negative syscall result; returns it otherwise. */
export function check(command: string, rc: number, details?: Record<string, number | bigint>): number {
  if (rc < 0) throw new IommufdError(command, rc, details);
  return rc;
}
