//! Rebuilds a channel value stored as a base plus increments: the pure part shared by the SQLite and
//! PostgreSQL engines, which only differ in how they fetch a chain's rows.

use std::collections::HashMap;

use super::json_array::concat_json_arrays;
use super::records::Increment;
use crate::messages::reducer::merge_serialized;

/// One stored row of a value family (every row sharing a root): the row it builds on, its bytes and
/// how they apply to that base.
pub struct Link {
    pub base_owner_id: Option<String>,
    pub data: Vec<u8>,
    pub increment: Increment,
}

/// The value `owner` stored, from its family of rows keyed by owner checkpoint id.
pub fn assemble(family: &HashMap<String, Link>, owner: &str, channel: &str, thread_id: &str) -> Result<Vec<u8>, String> {
    let mut chain: Vec<&Link> = Vec::new();
    let mut cursor = Some(owner);
    while let Some(id) = cursor {
        let link = family
            .get(id)
            .ok_or_else(|| format!("channel {channel:?} of thread {thread_id:?}: stored increment chain is broken at {id:?}"))?;
        chain.push(link);
        if chain.len() > family.len() {
            return Err(format!("channel {channel:?} of thread {thread_id:?}: increment chain has a cycle"));
        }
        cursor = link.base_owner_id.as_deref();
    }
    chain.reverse();
    let context = |m: String| format!("channel {channel:?} of thread {thread_id:?}: {m}");
    // Runs of appended elements are joined in one pass; a messages-reducer increment applies to
    // everything before it.
    let mut current: Vec<u8> = chain[0].data.clone();
    let mut appended: Vec<&[u8]> = Vec::new();
    for link in &chain[1..] {
        match link.increment {
            Increment::Append => appended.push(&link.data),
            Increment::Merge => {
                if !appended.is_empty() {
                    current =
                        concat_json_arrays(std::iter::once(current.as_slice()).chain(appended.drain(..))).map_err(context)?;
                }
                current = merge_serialized(&current, &[link.data.as_slice()]).map_err(context)?;
            }
        }
    }
    if appended.is_empty() {
        Ok(current)
    } else {
        concat_json_arrays(std::iter::once(current.as_slice()).chain(appended)).map_err(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(base: Option<&str>, data: &str, increment: Increment) -> Link {
        Link { base_owner_id: base.map(str::to_string), data: data.as_bytes().to_vec(), increment }
    }

    #[test]
    fn joins_appends_onto_the_base_and_detects_broken_chains() {
        let mut family = HashMap::new();
        family.insert("a".to_string(), link(None, "[1,2]", Increment::Append));
        family.insert("b".to_string(), link(Some("a"), "[3]", Increment::Append));
        family.insert("c".to_string(), link(Some("b"), "[4,5]", Increment::Append));
        assert_eq!(assemble(&family, "c", "ch", "t").unwrap(), b"[1,2,3,4,5]".to_vec());
        assert_eq!(assemble(&family, "b", "ch", "t").unwrap(), b"[1,2,3]".to_vec());
        family.remove("a");
        assert!(assemble(&family, "c", "ch", "t").unwrap_err().contains("broken at \"a\""));
    }
}
