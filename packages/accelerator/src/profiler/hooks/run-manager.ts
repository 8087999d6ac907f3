import { performance } from "node:perf_hooks";
import { recorders } from "./active";
import { currentModelCall } from "./model-call";
import { settle } from "./settle";

type Method = (this: object, ...args: unknown[]) => unknown;

/**
 * CallbackManager.prototype.handleChatModelStart: inside a hooked model call (model-call.ts), its first
 * call is the model's own (BaseChatModel starts its runs before running anything of the model's), and
 * the run managers it resolves to are that call's, one per prompt in order; later calls there (a nested
 * model that is not hooked) are not. With no active recorder, or outside a hooked call, the original
 * call and nothing else.
 */
export function profiledCallbackManagerMethods(originals: { handleChatModelStart: Method }): { handleChatModelStart: Method } {
  const start = originals.handleChatModelStart;
  return {
    handleChatModelStart(this: object, ...args: unknown[]) {
      const call = recorders.length === 0 ? undefined : currentModelCall();
      if (call === undefined || call.managers !== null) return start.apply(this, args);
      call.managers = [];
      return settle(
        () => start.apply(this, args),
        (_err, failed, managers) => {
          if (!failed && Array.isArray(managers)) call.managers = managers;
        },
      );
    },
  };
}

/**
 * CallbackManagerForLLMRun.prototype.handleLLMNewToken: a token of one of the hooked model call's own
 * runs (a model that streams inside `invoke`, as LangGraph's "messages" stream mode has it, or a cache
 * hit LangChain replays): its time (the first is the call's time to first token) and count, as the
 * callback handler's handleLLMNewToken reads them. Then the original call, with the same arguments.
 */
export function profiledLLMRunMethods(originals: { handleLLMNewToken: Method }): { handleLLMNewToken: Method } {
  const newToken = originals.handleLLMNewToken;
  return {
    handleLLMNewToken(this: object, ...args: unknown[]) {
      if (recorders.length !== 0) {
        const call = currentModelCall();
        const i = call?.countTokens ? (call.managers?.indexOf(this) ?? -1) : -1;
        if (i >= 0) {
          const now = performance.now();
          for (const record of call?.prompts[i] ?? []) {
            record.firstTokenAt ??= now;
            record.tokens++;
          }
        }
      }
      return newToken.apply(this, args);
    },
  };
}
