import type { PutRequest, PutWritesRequest } from "@fast-langgraph/native";

import { SQLITE_VALUE_BYTES, checkPutBytes, checkWritesBytes } from "../../src/savers/value-limit";

const put = (channelBytes: number): PutRequest => ({
  threadId: "thread-7",
  checkpointNs: "",
  checkpointId: "1",
  kind: "json",
  checkpoint: Buffer.from("{}"),
  metadata: Buffer.from("{}"),
  blobs: [{ channel: "doc", version: "1", kind: "json", data: Buffer.alloc(channelBytes) }],
  carriedChannels: [],
  carriedVersions: [],
  valuedChannels: ["doc"],
});

describe("values over the store's byte limit", () => {
  it("is SQLite's default SQLITE_MAX_LENGTH", () => {
    expect(SQLITE_VALUE_BYTES).toBe(1e9);
  });

  it("a channel over the limit is refused naming the saver, channel and thread; at the limit it passes", () => {
    expect(() => checkPutBytes("MemorySaver", put(101), 100)).toThrow(
      'MemorySaver.put: channel "doc" of thread "thread-7" serializes to 101 bytes, over the store\'s limit of 100 bytes per value; nothing was written',
    );
    expect(() => checkPutBytes("MemorySaver", put(100), 100)).not.toThrow();
  });

  it("a pending write over the limit is refused naming its channel, task and thread", () => {
    const req: PutWritesRequest = {
      threadId: "t",
      checkpointNs: "",
      checkpointId: "1",
      taskId: "task-1",
      taskPath: "",
      writes: [{ channel: "out", idx: 0, kind: "json", value: Buffer.alloc(11) }],
    };
    expect(() => checkWritesBytes("RustSqliteSaver", req, 10)).toThrow(
      /^RustSqliteSaver\.putWrites: the write to channel "out" of task "task-1" in thread "t" serializes to 11 bytes/,
    );
  });
});
