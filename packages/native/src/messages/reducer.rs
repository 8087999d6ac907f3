//! LangGraph's `messagesStateReducer` on serialized messages (LangChain constructor records, as
//! JsonPlusSerializer writes them): untouched messages are copied byte for byte, never re-encoded.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::value::RawValue;

const REMOVE_ALL_MESSAGES: &str = "__remove_all__";

/// One serialized message and what the reducer needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub json: Vec<u8>,
    pub id: String,
    pub remove: bool,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(default)]
    lc: i64,
    #[serde(default, borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    kwargs: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct KwargsId<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
}

fn preview(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned()
}

/// Reads one serialized message; a message without an id gets a new uuid v4 written into its kwargs,
/// as the reducer does in JavaScript.
pub fn parse_message(raw: &[u8]) -> Result<Message, String> {
    let header: Header = serde_json::from_slice(raw).map_err(|e| format!("not a serialized message ({e}): {}", preview(raw)))?;
    let class = header.id.last().map(|c| c.as_ref()).unwrap_or("");
    if header.lc != 1 || header.kind != "constructor" || !class.ends_with("Message") {
        if class.ends_with("MessageChunk") {
            return Err(format!("{class} must be converted by LangGraph's reducer before it is stored"));
        }
        return Err(format!("not a serialized LangChain message: {}", preview(raw)));
    }
    let kwargs = header.kwargs.ok_or_else(|| format!("serialized {class} has no kwargs"))?;
    let id: KwargsId =
        serde_json::from_str(kwargs.get()).map_err(|e| format!("serialized {class} has unreadable kwargs: {e}"))?;
    let remove = class == "RemoveMessage";
    match id.id {
        Some(id) => Ok(Message { json: raw.to_vec(), id: id.into_owned(), remove }),
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            Ok(Message { json: with_id(raw, kwargs, &id), id, remove })
        }
    }
}

/// `raw` with `"id":"<id>"` added as the first field of its kwargs object.
fn with_id(raw: &[u8], kwargs: &RawValue, id: &str) -> Vec<u8> {
    let start = kwargs.get().as_ptr() as usize - raw.as_ptr() as usize;
    let body = kwargs.get().trim_start_matches('{').trim_start();
    let separator = if body.starts_with('}') { "" } else { "," };
    let mut out = Vec::with_capacity(raw.len() + id.len() + 8);
    out.extend_from_slice(&raw[..start + 1]);
    out.extend_from_slice(format!("\"id\":{}{separator}", serde_json::to_string(id).expect("string")).as_bytes());
    out.extend_from_slice(&raw[start + 1..]);
    out
}

/// A serialized list of messages (or one message, as a right-hand update may be).
pub fn parse_messages(raw: &[u8]) -> Result<Vec<Message>, String> {
    let trimmed = raw.trim_ascii();
    if trimmed.first() == Some(&b'{') {
        return Ok(vec![parse_message(trimmed)?]);
    }
    let items: Vec<&RawValue> = serde_json::from_slice(trimmed).map_err(|e| format!("not a serialized message list: {e}"))?;
    items.iter().map(|item| parse_message(item.get().as_bytes())).collect()
}

pub fn render(messages: &[Message]) -> Vec<u8> {
    let mut out = Vec::with_capacity(messages.iter().map(|m| m.json.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&m.json);
    }
    out.push(b']');
    out
}

/// `messagesStateReducer(left, right)`: same id replaces in place, RemoveMessage deletes by id (an
/// unknown id is the same error LangGraph throws), REMOVE_ALL_MESSAGES keeps only what follows it.
pub fn reduce(left: Vec<Message>, right: Vec<Message>) -> Result<Vec<Message>, String> {
    if let Some(i) = right.iter().rposition(|m| m.remove && m.id == REMOVE_ALL_MESSAGES) {
        return Ok(right.into_iter().skip(i + 1).collect());
    }
    let mut merged = left;
    let mut by_id: HashMap<String, usize> = merged.iter().enumerate().map(|(i, m)| (m.id.clone(), i)).collect();
    let mut removed: HashSet<String> = HashSet::new();
    for m in right {
        match by_id.get(&m.id) {
            Some(_) if m.remove => {
                removed.insert(m.id.clone());
            }
            Some(&i) => {
                removed.remove(&m.id);
                merged[i] = m;
            }
            None if m.remove => {
                return Err(format!("Attempting to delete a message with an ID that doesn't exist ('{}')", m.id));
            }
            None => {
                by_id.insert(m.id.clone(), merged.len());
                merged.push(m);
            }
        }
    }
    Ok(merged.into_iter().filter(|m| !removed.contains(&m.id)).collect())
}

/// Folds each update into `base` in order, as LangGraph applies one write at a time.
pub fn merge_serialized(base: &[u8], updates: &[&[u8]]) -> Result<Vec<u8>, String> {
    let mut value = parse_messages(base)?;
    for update in updates {
        value = reduce(value, parse_messages(update)?)?;
    }
    Ok(render(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(class: &str, id: Option<&str>, content: &str) -> String {
        let id = id.map(|i| format!("\"id\":\"{i}\",")).unwrap_or_default();
        format!("{{\"lc\":1,\"type\":\"constructor\",\"id\":[\"langchain_core\",\"messages\",\"{class}\"],\"kwargs\":{{{id}\"content\":\"{content}\"}}}}")
    }

    fn list(items: &[String]) -> Vec<u8> {
        format!("[{}]", items.join(",")).into_bytes()
    }

    fn contents(bytes: &[u8]) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        v.as_array().unwrap().iter().map(|m| m["kwargs"]["content"].as_str().unwrap().to_string()).collect()
    }

    #[test]
    fn appends_replaces_in_place_and_removes() {
        let base = list(&[msg("HumanMessage", Some("a"), "1"), msg("AIMessage", Some("b"), "2")]);
        let update =
            list(&[msg("AIMessage", Some("c"), "3"), msg("AIMessage", Some("a"), "1'"), msg("RemoveMessage", Some("b"), "")]);
        assert_eq!(contents(&merge_serialized(&base, &[&update]).unwrap()), ["1'", "3"]);
    }

    #[test]
    fn remove_all_keeps_only_what_follows() {
        let base = list(&[msg("HumanMessage", Some("a"), "1")]);
        let update = list(&[
            msg("AIMessage", Some("x"), "gone"),
            msg("RemoveMessage", Some(REMOVE_ALL_MESSAGES), ""),
            msg("AIMessage", Some("z"), "kept"),
        ]);
        assert_eq!(contents(&merge_serialized(&base, &[&update]).unwrap()), ["kept"]);
    }

    #[test]
    fn unknown_removal_is_langgraphs_error() {
        let err = merge_serialized(b"[]", &[list(&[msg("RemoveMessage", Some("nope"), "")]).as_slice()]).unwrap_err();
        assert_eq!(err, "Attempting to delete a message with an ID that doesn't exist ('nope')");
    }

    #[test]
    fn missing_ids_are_assigned_and_untouched_messages_keep_their_bytes() {
        let kept = msg("HumanMessage", Some("a"), "1");
        let out = merge_serialized(&list(std::slice::from_ref(&kept)), &[msg("AIMessage", None, "2").as_bytes()]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(&format!("[{kept},")));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[1]["kwargs"]["id"].as_str().unwrap().len(), 36);
    }

    #[test]
    fn chunks_and_non_messages_are_refused() {
        assert!(merge_serialized(b"[]", &[msg("AIMessageChunk", Some("k"), "c").as_bytes()]).unwrap_err().contains("converted"));
        assert!(merge_serialized(b"[{\"role\":\"user\"}]", &[]).unwrap_err().contains("not a serialized LangChain message"));
    }
}
