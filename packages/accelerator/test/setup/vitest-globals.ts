// The official checkpoint conformance suite is written for Vitest globals; Jest has all of them but `expect.soft`.
// A hard assertion is the strict reading of a soft one: the first failure fails the test.
const jestExpect = expect as unknown as Record<string, unknown>;
if (!("soft" in jestExpect)) {
  jestExpect.soft = expect;
}
