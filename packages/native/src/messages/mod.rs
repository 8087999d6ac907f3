//! LangGraph's messages reducer in Rust, on serialized messages.

pub mod binding;
pub mod reducer;
