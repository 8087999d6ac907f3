import { AIMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";

import { RustLLMCache } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

// A row of the PostgreSQL tier that the cache cannot decode (here: an earlier format's record naming
// `constructor` as its message class, which decoded to a plain object) is a miss: the model is called,
// the row is replaced by the fresh answer, and one warning names the table (never the password or prompt).
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});
const unique = (n: string) => `${n}-${process.pid}-${Date.now()}-${Math.random()}`;

describe("a corrupt row in the PostgreSQL tier", () => {
  it("is a miss: the model answers, the row is replaced, the warning names the table", async () => {
    const warnings: string[] = [];
    const spy = jest.spyOn(process, "emitWarning").mockImplementation((w: string | Error) => void warnings.push(String(w)));
    try {
      const schema = freshSchema("corrupt");
      schemas.push(schema);
      const pg = { connectionString: postgresUrl(), schema, table: "llm_cache" };
      const writer = new RustLLMCache({ name: unique("pg-writer"), postgres: pg });
      await new FakeListChatModel({ responses: ["stored answer"], cache: writer }).invoke("the secret prompt");
      await writer.flush();
      const bad = '[{"message":{"class":"constructor","fields":{}}}]';
      const changed = await withPg((c) => c.query(`UPDATE "${schema}".llm_cache SET value = convert_to($1, 'UTF8')`, [bad]));
      expect(changed.rowCount).toBe(1);

      const cache = new RustLLMCache({ name: unique("pg-reader"), postgres: pg });
      const model = new FakeListChatModel({ responses: ["fresh answer"], cache });
      const answer = await model.invoke("the secret prompt");
      expect(answer).toBeInstanceOf(AIMessage);
      expect(answer.content).toBe("fresh answer");
      expect(cache.stats().corrupt).toBe(1);
      await cache.flush();
      const rows = await withPg((c) => c.query(`SELECT convert_from(value, 'UTF8') AS v FROM "${schema}".llm_cache`));
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0].v).toContain("fresh answer");
      const mine = warnings.filter((w) => w.includes(`${schema}.llm_cache`));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatch(/^RustLLMCache \(PostgreSQL .*\): an entry could not be read, answering as a miss and removing it: /);
      expect(mine[0]).not.toMatch(/secret|password/);
    } finally {
      spy.mockRestore();
    }
  });
});
