// A small support agent: the model answers or calls a tool, the tool answers, and each user turn
// adds to one long conversation. Offline it uses LangChain's FakeListChatModel.
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

const ANSWERS = [
  "Thanks for the details. Your order shipped yesterday and should arrive within two business days.",
  "I have reset the password link; it stays valid for one hour. Let me know if the email does not arrive.",
  "The invoice lists the annual plan at the discounted rate, and the next renewal is in March.",
];

export function supportAgent(checkpointer) {
  const model = new FakeListChatModel({ responses: ANSWERS });
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => {
      const last = state.messages.at(-1);
      if (last instanceof HumanMessage && state.messages.length % 4 === 1) {
        return {
          messages: [
            new AIMessage({
              content: "",
              tool_calls: [{ id: `lookup-${state.messages.length}`, name: "order_lookup", args: { turn: state.messages.length } }],
            }),
          ],
        };
      }
      return { messages: [await model.invoke(state.messages)] };
    })
    .addNode("order_lookup", (state) => {
      const call = state.messages.at(-1).tool_calls[0];
      return {
        messages: [
          new ToolMessage({
            tool_call_id: call.id,
            content: JSON.stringify({ order: call.args.turn, status: "shipped", carrier: "DHL", eta_days: 2 }),
          }),
        ],
      };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (s) => (s.messages.at(-1).tool_calls?.length ? "order_lookup" : END))
    .addEdge("order_lookup", "agent")
    .compile({ checkpointer });
}

export const userTurn = (i) =>
  new HumanMessage(`Customer message ${i}: where is my order, and can you also check my last invoice? `.repeat(4));
