// A HW queue (spec §2.23): guest memory pinned through the vIOMMU's parent IOAS for
// the hardware to read, so that range cannot be unmapped while the queue exists.
import type { IoasObject } from '../ioas/ioas-object.js';
import type { IovaRange } from '../ioas/iova-range.js';
import { IommufdObject, ObjectType } from '../objects.js';
import type { ViommuObject } from './viommu.js';

export class HwQueueObject extends IommufdObject {
  readonly type = ObjectType.HW_QUEUE;

  constructor(
    readonly viommu: ViommuObject,
    readonly queueType: number,
    readonly index: number,
    readonly ioas: IoasObject,
    readonly range: IovaRange,
  ) {
    super();
  }

  override onDestroy(): void {
    this.ioas.iopt.unlockRange(this);
    if (this.viommu.hwQueues.get(this.index) === this) this.viommu.hwQueues.delete(this.index);
  }
}
