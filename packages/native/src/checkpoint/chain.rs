//! Rebuilds a channel value stored as a base plus increments: the pure part shared by the SQLite and
//! PostgreSQL engines, which only differ in how they fetch a chain's rows.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

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

/// The value `owner` stored, from its family of rows keyed by owner checkpoint id. A chain that comes
/// back to a row it already passed is an error naming the thread, channel and checkpoint: no stored
/// data can make this walk loop.
pub fn assemble(family: &HashMap<String, Link>, owner: &str, channel: &str, thread_id: &str) -> Result<Vec<u8>, String> {
    let mut chain: Vec<&Link> = Vec::new();
    let mut visited: HashSet<&str> = HashSet::new();
    let mut cursor = Some(owner);
    while let Some(id) = cursor {
        if !visited.insert(id) {
            return Err(format!(
                "channel {channel:?} of thread {thread_id:?}: the increment chain of checkpoint {owner:?} has a cycle at {id:?}"
            ));
        }
        let link = family.get(id).ok_or_else(|| {
            format!(
                "channel {channel:?} of thread {thread_id:?}: stored increment chain of checkpoint {owner:?} is broken at {id:?}"
            )
        })?;
        chain.push(link);
        cursor = link.base_owner_id.as_deref();
    }
    chain.reverse();
    join_increments(&chain[0].data, &chain[1..], channel, thread_id)
}

/// Whether every link of `owner`'s chain is in `family` (no cycle, no missing base).
pub fn reaches_root(family: &HashMap<String, Link>, owner: &str) -> bool {
    let mut cursor = Some(owner);
    for _ in 0..=family.len() {
        let Some(id) = cursor else { return true };
        let Some(link) = family.get(id) else { return false };
        cursor = link.base_owner_id.as_deref();
    }
    false
}

/// `start` (a whole serialized list) with `links`' increments applied, oldest first: runs of appended
/// elements are joined in one pass; a messages-reducer increment applies to everything before it.
pub fn join_increments(start: &[u8], links: &[&Link], channel: &str, thread_id: &str) -> Result<Vec<u8>, String> {
    let context = |m: String| format!("channel {channel:?} of thread {thread_id:?}: {m}");
    let mut current: Cow<[u8]> = Cow::Borrowed(start);
    let mut appended: Vec<&[u8]> = Vec::new();
    for link in links {
        match link.increment {
            Increment::Append => appended.push(&link.data),
            Increment::Merge => {
                if !appended.is_empty() {
                    current = Cow::Owned(
                        concat_json_arrays(std::iter::once(current.as_ref()).chain(appended.drain(..))).map_err(context)?,
                    );
                }
                current = Cow::Owned(merge_serialized(&current, &[link.data.as_slice()]).map_err(context)?);
            }
        }
    }
    if appended.is_empty() {
        Ok(current.into_owned())
    } else {
        concat_json_arrays(std::iter::once(current.as_ref()).chain(appended)).map_err(context)
    }
}

/// A put of a checkpoint that is already stored, whose increment builds on that same checkpoint's
/// row (a retried put: the tracker remembered the first attempt). Stored as given it would make the
/// row its own base. Returns the row to store instead: an append onto an appended row is rebased onto
/// that row's base (its data joined with the new elements); anything else needs the whole value
/// (`None`: the caller assembles the stored value and calls [`apply_increment`]).
pub fn fold_onto_own_row(existing: &Link, data: &[u8], increment: Increment) -> Result<Option<Link>, String> {
    match (&existing.base_owner_id, existing.increment, increment) {
        (Some(base), Increment::Append, Increment::Append) => Ok(Some(Link {
            base_owner_id: Some(base.clone()),
            data: concat_json_arrays([existing.data.as_slice(), data])?,
            increment: Increment::Append,
        })),
        _ => Ok(None),
    }
}

/// `value` (a whole serialized list) with an increment applied.
pub fn apply_increment(value: &[u8], data: &[u8], increment: Increment) -> Result<Vec<u8>, String> {
    match increment {
        Increment::Append => concat_json_arrays([value, data]),
        Increment::Merge => merge_serialized(value, &[data]),
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

    #[test]
    fn a_cycle_is_an_error_naming_thread_channel_and_checkpoint() {
        let mut family = HashMap::new();
        family.insert("a".to_string(), link(Some("a"), "[1]", Increment::Append));
        let err = assemble(&family, "a", "messages", "t1").unwrap_err();
        assert!(
            err.contains("\"messages\"") && err.contains("\"t1\"") && err.contains("checkpoint \"a\"") && err.contains("cycle"),
            "{err}"
        );
        family.insert("b".to_string(), link(Some("c"), "[2]", Increment::Append));
        family.insert("c".to_string(), link(Some("b"), "[3]", Increment::Append));
        family.insert("d".to_string(), link(Some("b"), "[4]", Increment::Append));
        let err = assemble(&family, "d", "messages", "t1").unwrap_err();
        assert!(err.contains("checkpoint \"d\"") && err.contains("cycle at \"b\""), "{err}");
    }

    #[test]
    fn a_retried_increment_folds_onto_its_own_rows_base() {
        let appended = link(Some("a"), "[3]", Increment::Append);
        let folded = fold_onto_own_row(&appended, b"[4]", Increment::Append).unwrap().unwrap();
        assert_eq!(folded.base_owner_id.as_deref(), Some("a"));
        assert_eq!(folded.data, b"[3,4]".to_vec());
        assert!(fold_onto_own_row(&appended, b"[]", Increment::Merge).unwrap().is_none());
        assert!(fold_onto_own_row(&link(None, "[1]", Increment::Append), b"[2]", Increment::Append).unwrap().is_none());
        assert_eq!(apply_increment(b"[1,2]", b"[]", Increment::Append).unwrap(), b"[1,2]".to_vec());
    }
}
