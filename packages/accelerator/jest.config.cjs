/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] },
  setupFilesAfterEnv: ["<rootDir>/test/setup/vitest-globals.ts", "<rootDir>/test/setup/memory-saver-move.ts"],
  testTimeout: 120000,
};
