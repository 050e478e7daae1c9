// What a descriptor of the simulated process refers to.
import type { AnonFile } from './anon-file.js';
import type { IommufdContext } from './context.js';
import type { DmaBuf } from './dmabuf.js';
import type { MemFile } from './memfd.js';

export type OpenFile =
  | { readonly kind: 'iommufd'; readonly ctx: IommufdContext }
  | { readonly kind: 'memfd'; readonly file: MemFile }
  | { readonly kind: 'dmabuf'; readonly buf: DmaBuf }
  | { readonly kind: 'anon'; readonly file: AnonFile };
