//! LangGraph's messages reducer in Rust, on serialized messages.

mod binding;
pub mod reducer;
