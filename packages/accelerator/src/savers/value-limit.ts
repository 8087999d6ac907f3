import type { PutRequest, PutWritesRequest } from "@fast-langgraph/native";

/** SQLite's default SQLITE_MAX_LENGTH: the most bytes one string or blob may hold. */
export const SQLITE_VALUE_BYTES = 1_000_000_000;

function refuse(label: string, what: string, bytes: number, limit: number): never {
  throw new Error(
    `${label}: ${what} serializes to ${bytes.toLocaleString("en-US")} bytes, over the store's limit of ` +
      `${limit.toLocaleString("en-US")} bytes per value; nothing was written`,
  );
}

/**
 * Throws, naming the channel and thread, when a value of `request` is over `limit` bytes (which the
 * store would refuse with an error naming neither). Units: bytes of the serialized value.
 */
export function checkPutBytes(label: string, request: PutRequest, limit: number): void {
  for (const blob of request.blobs) {
    if (blob.data.length > limit)
      refuse(`${label}.put`, `channel "${blob.channel}" of thread "${request.threadId}"`, blob.data.length, limit);
  }
  if (request.checkpoint.length > limit)
    refuse(`${label}.put`, `the checkpoint of thread "${request.threadId}"`, request.checkpoint.length, limit);
  if (request.metadata.length > limit)
    refuse(`${label}.put`, `the metadata of thread "${request.threadId}"`, request.metadata.length, limit);
}

/** As {@link checkPutBytes}, for each pending write. */
export function checkWritesBytes(label: string, request: PutWritesRequest, limit: number): void {
  for (const w of request.writes) {
    if (w.value.length > limit) {
      const what = `the write to channel "${w.channel}" of task "${request.taskId}" in thread "${request.threadId}"`;
      refuse(`${label}.putWrites`, what, w.value.length, limit);
    }
  }
}
