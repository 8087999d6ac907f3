// `node --require @fast-langgraph/accelerator/register app.js` (or `--import` for ES modules):
// accelerates LangGraph.js without touching the application's code.
import { autoPatch } from "./patch/auto-patch";

export const ready = autoPatch();
