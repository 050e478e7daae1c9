// The IOAS object: an IoPageTable with an ID. Destroying it unmaps everything (areas do
// not hold the IOAS; only HWPTs, accesses and devices attached to it do).
import { IommufdObject, ObjectType } from '../objects.js';
import { IoPageTable } from './io-pagetable.js';

export class IoasObject extends IommufdObject {
  readonly type = ObjectType.IOAS;
  readonly iopt = new IoPageTable();

  override onDestroy(): void {
    this.iopt.release();
  }
}
