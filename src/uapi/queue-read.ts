// read(2) on a queue fd (the FAULT object's fd, a vEVENTQ's fd): whole records from
// the head of the queue, as many as fit in the caller's count. An item that does not
// fit ends the read and stays queued, so a short buffer never splits a record (or a
// fault group, which is delivered and answered as a unit).

/**
 * Takes items off the head of `queue` while each fits in the bytes left of `count`.
 * `sizeOf` must not change anything; `take` is called once per item taken, after it
 * left the queue, and returns its bytes (exactly `sizeOf(item)` of them).
 */
export function readWholeRecords<T>(queue: T[], count: number, sizeOf: (item: T) => number, take: (item: T) => Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let used = 0;
  while (queue.length > 0 && used + sizeOf(queue[0]) <= count) {
    const chunk = take(queue.shift()!);
    chunks.push(chunk);
    used += chunk.length;
  }
  const bytes = new Uint8Array(used);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
