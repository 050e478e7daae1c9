// The default simulated host: the iommufd uAPI with the kernel's mock IOMMU driver and
// its self-test command (a kernel built with CONFIG_IOMMUFD_TEST), as the kernel's
// self-test suite runs against. It is assembled here, above the uAPI, the drivers and
// the self-test module, so none of them has to know the others.
import { Engine } from '../engine/engine.js';
import { mockDriver } from '../drivers/mock/driver.js';
import { TEST_OP } from '../selftest/test-cmd.js';
import { IommufdSystem, type IommufdSystemOptions } from '../uapi/system.js';

export interface SystemOptions extends Omit<IommufdSystemOptions, 'ioctls'> {
  /** Drivers besides the mock (e.g. VT-d); the mock is always registered. */
  drivers?: IommufdSystemOptions['drivers'];
  /** Whether IOMMU_TEST_CMD exists (a kernel built with CONFIG_IOMMUFD_TEST). Default true. */
  selfTest?: boolean;
}

export class System extends IommufdSystem {
  /** Async because the engine behind the frame store instantiates WebAssembly. */
  static override async create(options: SystemOptions = {}): Promise<System> {
    const engine = options.engine ?? (await Engine.create(options.engineOptions));
    const { selfTest = true, drivers = [], ...rest } = options;
    return new System({ ...rest, drivers: [mockDriver, ...drivers], ioctls: selfTest ? [TEST_OP] : [] }, engine);
  }
}
