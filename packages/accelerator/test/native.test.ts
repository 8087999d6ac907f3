import { native } from "../src";

describe("native binding", () => {
  it("loads the compiled Rust core", () => {
    expect(native.nativeVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
