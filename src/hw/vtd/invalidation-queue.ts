// The invalidation queue: a ring of 128- or 256-bit descriptors in host memory at
// IQA, consumed from IQH to IQT as soon as software moves the tail. Processing is
// synchronous: when a tail write returns, every descriptor before the tail is done
// (or the queue stopped on an invalid one with FSTS.IQE and IQH pointing at it).
import { aboveWidth, bit, mask } from '../common/bits.js';
import { decodeDescriptor, type Descriptor } from './descriptors.js';
import type { EventInterrupt } from './interrupts.js';
import { readWords, type ReadWord } from './structures.js';

export interface QueueDeps {
  read: ReadWord;
  /** Stores the 32-bit status of a wait descriptor; false when the address is not memory. */
  writeStatus(addr: bigint, data: number): boolean;
  /** Runs a decoded descriptor other than wait. */
  execute(descriptor: Descriptor): void;
  interrupt: EventInterrupt;
  maxAddressMask: number;
  haw: number;
}

const IQA_RESERVED = mask(10, 3);

export class InvalidationQueue {
  private iqa = 0n;
  private head = 0;
  private tail = 0;
  enabled = false;
  /** FSTS.IQE: set on an invalid descriptor or tail; processing waits until software clears it. */
  error = false;
  /** Why the last IQE was raised (not architectural: for people reading a transcript). */
  lastError = '';
  /** ICS.IWC. */
  waitComplete = false;
  processed = 0;

  constructor(private readonly deps: QueueDeps) {}

  get descriptorBytes(): 16 | 32 { return bit(this.iqa, 11) ? 32 : 16; }
  get queueBytes(): number { return 4096 << Number(this.iqa & 7n); }
  readIqa(): bigint { return this.iqa; }
  readHead(): bigint { return BigInt(this.head); }
  readTail(): bigint { return BigInt(this.tail); }

  /** IQA is fixed while the queue runs; a write with reserved bits is ignored. */
  writeIqa(value: bigint): boolean {
    if (this.enabled || value & IQA_RESERVED) return false;
    this.iqa = value;
    return true;
  }

  /** IQT: the byte offset of the next free slot (bits 18:4). */
  writeTail(value: bigint): boolean {
    if (value & ~mask(18, 4)) return false;
    this.tail = Number(value);
    if (this.enabled) this.run();
    return true;
  }

  /** GCMD.QIE = 1. Refused (QIES stays clear) unless IQT is 0 and IQA names host memory. */
  enable(): boolean {
    if (this.enabled) return true;
    if (this.tail !== 0 || aboveWidth(this.iqa, this.deps.haw)) return false;
    this.enabled = true;
    this.head = 0;
    return true;
  }

  /** GCMD.QIE = 0: only an idle queue can be turned off; IQH goes back to 0. */
  disable(): boolean {
    if (!this.enabled) return true;
    if (this.head !== this.tail) return false;
    this.enabled = false;
    this.head = 0;
    return true;
  }

  clearError(): void {
    if (!this.error) return;
    this.error = false;
    if (this.enabled) this.run();
  }

  private raiseError(why: string): void {
    this.error = true;
    this.lastError = why;
  }

  private run(): void {
    if (this.error) return;
    const width = this.descriptorBytes;
    if (this.tail % width !== 0 || this.tail >= this.queueBytes) {
      this.raiseError(`tail 0x${this.tail.toString(16)} is not a descriptor slot of this queue`);
      return;
    }
    const base = this.iqa & mask(63, 12);
    while (this.head !== this.tail) {
      const words = readWords(this.deps.read, base + BigInt(this.head), width / 8);
      if (!words) return this.raiseError(`descriptor at IQH 0x${this.head.toString(16)} is not in memory`);
      const decoded = decodeDescriptor(words, this.deps.maxAddressMask);
      if (!decoded.ok) return this.raiseError(decoded.reason);
      if (!this.perform(decoded.value)) return;
      this.processed++;
      this.head = (this.head + width) % this.queueBytes;
    }
  }

  private perform(d: Descriptor): boolean {
    if (d.type !== 'wait') {
      this.deps.execute(d);
      return true;
    }
    // Everything before this descriptor is already done: completion is immediate.
    if (d.statusWrite) {
      if (aboveWidth(d.statusAddr & mask(63, 12), this.deps.haw) || !this.deps.writeStatus(d.statusAddr, d.statusData)) {
        this.raiseError(`wait status address 0x${d.statusAddr.toString(16)} is not host memory`);
        return false;
      }
    }
    if (d.interrupt && !this.waitComplete) {
      this.waitComplete = true;
      this.deps.interrupt.raise();
    }
    return true;
  }
}
