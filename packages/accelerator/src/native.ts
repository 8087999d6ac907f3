import * as binding from "@fast-langgraph/native";

export const native = binding;
