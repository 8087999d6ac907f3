//! Which channels a checkpoint carries over from its parent: those in its `channel_versions` that
//! `newVersions` does not name. Derived here from the serialized checkpoint, so a graph with a
//! thousand channels does not send a thousand names across the JS boundary at every step.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Versions<'a> {
    #[serde(borrow, default)]
    channel_versions: HashMap<Cow<'a, str>, &'a RawValue>,
}

/// A version as JavaScript's `String(version)` writes it: a string's contents, a number's digits.
fn version_text(raw: &RawValue) -> Result<Cow<'_, str>, String> {
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).map(Cow::Owned).map_err(|e| format!("unreadable channel version {text}: {e}"))
    } else {
        Ok(Cow::Borrowed(text))
    }
}

/// A channel this checkpoint keeps from its parent: (channel, version).
pub type CarriedChannel<'a> = (Cow<'a, str>, Cow<'a, str>);

/// `valued`: the channels the checkpoint holds a value for (only those can be carried; a channel with
/// a version but no value, such as a consumed trigger, is empty in this checkpoint).
pub fn carried_channels<'a>(
    checkpoint: &'a [u8],
    changed: &[String],
    valued: Option<&[String]>,
) -> Result<Vec<CarriedChannel<'a>>, String> {
    let versions: Versions = serde_json::from_slice(checkpoint).map_err(|e| format!("checkpoint is not readable JSON: {e}"))?;
    let changed: HashSet<&str> = changed.iter().map(String::as_str).collect();
    let valued: Option<HashSet<&str>> = valued.map(|v| v.iter().map(String::as_str).collect());
    let mut carried = Vec::with_capacity(versions.channel_versions.len());
    for (channel, raw) in versions.channel_versions {
        if !changed.contains(channel.as_ref()) && valued.as_ref().is_none_or(|v| v.contains(channel.as_ref())) {
            carried.push((channel, version_text(raw)?));
        }
    }
    Ok(carried)
}

#[cfg(test)]
mod tests {
    #[test]
    fn carries_unchanged_channels_with_versions_as_javascript_prints_them() {
        let cp = br#"{"v":4,"channel_versions":{"a":3,"b":"00000002.5","c\"q":7},"versions_seen":{}}"#;
        let mut got: Vec<(String, String)> = super::carried_channels(cp, &["a".to_string()], None)
            .unwrap()
            .into_iter()
            .map(|(c, v)| (c.into_owned(), v.into_owned()))
            .collect();
        got.sort();
        assert_eq!(got, vec![("b".into(), "00000002.5".into()), ("c\"q".into(), "7".into())]);
        let only_valued = super::carried_channels(cp, &[], Some(&["b".to_string()])).unwrap();
        assert_eq!(only_valued.len(), 1);
    }
}
