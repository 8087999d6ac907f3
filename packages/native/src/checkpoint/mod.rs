//! The store-independent checkpoint model both engines share: records, channel references, increment
//! chains, carried channels, JSON array joining, the delta-history walk, retention planning (which checkpoints, which values), and the
//! objects that cross the JS boundary.

pub mod carry;
pub mod carry_decision;
pub mod chain;
pub mod detach_plan;
pub mod history_walk;
pub mod js_types;
pub mod json_array;
pub mod prune_options;
pub mod prune_plan;
pub mod prune_values;
pub mod records;
pub mod refs;
pub mod requests;
