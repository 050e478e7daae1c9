// One device's PASID-table entries as the host driver keeps them: which domain each
// entry (RID_PASID for the RID) points at, and the bookkeeping that lets a paging
// domain's unmap and a nested domain's HWPT_INVALIDATE reach exactly the units, DIDs
// and PASIDs they are attached through. A failed check leaves the old entry in place.
import { fail, OK_VOID, type Result } from '../../iommu/result.js';
import type { DriverDomain } from '../../iommu/driver.js';
import { RID_PASID, type VtdIommu } from './host-iommu.js';
import { secondStagePasidEntry, HOST_SS_AW } from './host-encoding.js';
import { checkVtdS1ForAttach, nestedPasidEntry } from './iommufd.js';
import type { NestedAttachment, VtdNestedDomain } from './nested-domain.js';
import type { VtdPagingDomain } from './paging-domain.js';

type Attached = { domain: VtdPagingDomain } | { domain: VtdNestedDomain; attachment: NestedAttachment };

export class HostPasidEntries {
  private readonly attached = new Map<number, Attached>();

  constructor(private readonly iommu: VtdIommu, private readonly sid: number) {}

  domainAt(pasid: number | undefined): DriverDomain | undefined {
    return this.attached.get(pasid ?? RID_PASID)?.domain;
  }

  secondStage(pasid: number | undefined, domain: VtdPagingDomain): Result<void> {
    const slot = pasid ?? RID_PASID;
    domain.units.add(this.iommu);
    const did = this.iommu.didOf(domain);
    this.iommu.setPasidEntry(this.sid, slot, secondStagePasidEntry({ did, root: domain.root, ssade: domain.tracksDirty }));
    this.forget(slot);
    this.attached.set(slot, { domain });
    return OK_VOID;
  }

  /** The stage-1 config is checked against this unit here, as the kernel does when it writes the entry. */
  nested(pasid: number | undefined, domain: VtdNestedDomain): Result<void> {
    const errno = checkVtdS1ForAttach(domain.config, this.iommu.cap, this.iommu.ecap);
    if (errno !== 0) return fail(errno);
    const slot = pasid ?? RID_PASID;
    const parent = domain.parent;
    parent.units.add(this.iommu);
    const did = this.iommu.didOf(parent);
    const entry = nestedPasidEntry(domain.config, did, { root: parent.root, aw: HOST_SS_AW, ssade: parent.tracksDirty });
    this.iommu.setPasidEntry(this.sid, slot, entry);
    this.forget(slot);
    const attachment: NestedAttachment = { iommu: this.iommu, sid: this.sid, pasid: slot };
    domain.attachments.add(attachment);
    this.attached.set(slot, { domain, attachment });
    return OK_VOID;
  }

  clear(pasid: number | undefined): Result<void> {
    const slot = pasid ?? RID_PASID;
    if (!this.attached.has(slot)) return OK_VOID;
    this.iommu.setPasidEntry(this.sid, slot, null);
    this.forget(slot);
    return OK_VOID;
  }

  private forget(slot: number): void {
    const old = this.attached.get(slot);
    if (old && 'attachment' in old) old.domain.attachments.delete(old.attachment);
    this.attached.delete(slot);
  }
}
