//! Which carried channels a put references from stored values and which it must be sent. Pure logic
//! shared by both engines: the engine reads the parent's references and looks values up by version;
//! this decides.
//!
//! A channel newVersions does not name is carried by reference only when its stored value is proven
//! to be the one the checkpoint holds: the JS side vouches for it (`verified`: it matches the snapshot
//! of what this process stored or loaded at that version). A value stored under that version but not
//! vouched for (changed in place, or never seen by this process) is asked for. With no stored value at
//! that version, a checkpoint whose config names a parent (stored or not) is asked for the value: it
//! is never silently dropped. Without a parent, nothing is stored for it, as the official savers that
//! store values by version do (the conformance suite requires it).

use std::collections::HashSet;

use super::refs::ChannelRefs;

/// What the store holds for a (channel, version) in the thread and namespace.
#[derive(Debug, Clone, PartialEq)]
pub enum ByVersion {
    /// Exactly one stored value: the checkpoint id that owns it.
    One(String),
    None,
    /// More than one checkpoint stored a value under this version (integer versions collide on forks):
    /// which one is meant cannot be told.
    Many,
}

#[derive(Debug, Default, PartialEq)]
pub struct CarryDecision {
    /// channel -> (owner checkpoint id, version): referenced, not stored again.
    pub refs: Vec<(String, String, String)>,
    /// Channels whose values must be sent.
    pub need: Vec<String>,
    /// Channels (with versions) the parent does not hold: the engine looks them up by version.
    pub lookups: Vec<(String, String)>,
}

fn vouched(verified: Option<&HashSet<String>>, channel: &str) -> bool {
    verified.is_none_or(|v| v.contains(channel))
}

impl CarryDecision {
    /// Adds the referenced channels to `refs`; or, when some must be sent, returns them instead.
    pub fn apply(self, refs: &mut ChannelRefs) -> Result<(), Vec<String>> {
        if !self.need.is_empty() {
            return Err(self.need);
        }
        for (channel, owner, version) in self.refs {
            refs.insert(channel, (owner, version));
        }
        Ok(())
    }
}

/// Of `verified`, the channels whose remembered row (`rows`: channel -> (owner, token)) is the one the
/// parent references for them (see `vouched_lookups` for those the parent does not reference).
pub fn vouched_rows<'r>(
    verified: Option<&HashSet<String>>,
    rows: &'r std::collections::HashMap<String, (String, Option<String>)>,
    parent: Option<&ChannelRefs>,
) -> Vec<(&'r String, &'r String, Option<&'r String>)> {
    let mut out: Vec<_> = rows
        .iter()
        .filter(|(channel, (owner, _))| {
            verified.is_none_or(|v| v.contains(channel.as_str()))
                && parent.and_then(|refs| refs.get(channel.as_str())).is_some_and(|(o, _)| o == owner)
        })
        .map(|(channel, (owner, token))| (channel, owner, token.as_ref()))
        .collect();
    out.sort();
    out
}

/// Of `verified`, the channels the parent does not reference (looked up by version instead): a row found
/// is the one remembered. With `vouched_rows`' channels, what `finish` may take as verified.
pub fn vouched_lookups(
    verified: Option<&HashSet<String>>,
    rows: &std::collections::HashMap<String, (String, Option<String>)>,
    lookups: &[(String, String)],
    found: &[ByVersion],
) -> HashSet<String> {
    lookups
        .iter()
        .zip(found)
        .filter(|((channel, _), hit)| {
            vouched(verified, channel)
                && matches!(hit, ByVersion::One(owner) if rows.get(channel).is_some_and(|(o, _)| o == owner))
        })
        .map(|((channel, _), _)| channel.clone())
        .collect()
}

/// First step: carry what the parent's references hold at the same version.
pub fn from_parent(
    carried: &[(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)],
    parent: Option<&ChannelRefs>,
    verified: Option<&HashSet<String>>,
) -> CarryDecision {
    let mut decision = CarryDecision::default();
    for (channel, version) in carried {
        match parent.and_then(|refs| refs.get(channel.as_ref())) {
            Some((owner, stored)) if stored == version.as_ref() => {
                if vouched(verified, channel) {
                    decision.refs.push((channel.to_string(), owner.clone(), stored.clone()));
                } else {
                    decision.need.push(channel.to_string());
                }
            }
            _ => decision.lookups.push((channel.to_string(), version.to_string())),
        }
    }
    decision
}

/// Second step, with what the engine found for each lookup (same order as `decision.lookups`).
pub fn finish(
    mut decision: CarryDecision,
    found: Vec<ByVersion>,
    parent_named: bool,
    keep_every_value: bool,
    verified: Option<&HashSet<String>>,
) -> CarryDecision {
    let lookups = std::mem::take(&mut decision.lookups);
    for ((channel, version), hit) in lookups.into_iter().zip(found) {
        match hit {
            ByVersion::One(owner) if vouched(verified, &channel) => decision.refs.push((channel, owner, version)),
            ByVersion::One(_) | ByVersion::Many => decision.need.push(channel),
            ByVersion::None if parent_named || keep_every_value => decision.need.push(channel),
            ByVersion::None => {}
        }
    }
    decision
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn carried(pairs: &[(&'static str, &'static str)]) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
        pairs.iter().map(|(c, v)| (Cow::Borrowed(*c), Cow::Borrowed(*v))).collect()
    }

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn vouched_channels_the_parent_holds_are_referenced_others_are_asked_for() {
        let mut parent = ChannelRefs::new();
        parent.insert("a".into(), ("p".into(), "1".into()));
        parent.insert("b".into(), ("p".into(), "1".into()));
        let verified = set(&["a"]);
        let d = from_parent(&carried(&[("a", "1"), ("b", "1")]), Some(&parent), Some(&verified));
        assert_eq!(d.refs, vec![("a".to_string(), "p".to_string(), "1".to_string())]);
        assert_eq!(d.need, vec!["b".to_string()]);
        assert!(d.lookups.is_empty());
    }

    #[test]
    fn a_version_the_parent_lacks_is_looked_up_and_never_dropped_when_a_parent_was_named() {
        let d = from_parent(&carried(&[("a", "2"), ("b", "2"), ("c", "2")]), None, None);
        assert_eq!(d.lookups.len(), 3);
        let d = finish(d, vec![ByVersion::One("x".into()), ByVersion::None, ByVersion::Many], true, false, None);
        assert_eq!(d.refs, vec![("a".to_string(), "x".to_string(), "2".to_string())]);
        assert_eq!(d.need, vec!["b".to_string(), "c".to_string()]);
    }

    #[test]
    fn without_a_parent_an_unstored_version_is_not_kept_unless_every_value_is() {
        let d = from_parent(&carried(&[("a", "1")]), None, Some(&set(&[])));
        assert_eq!(finish(d, vec![ByVersion::None], false, false, Some(&set(&[]))), CarryDecision::default());
        let d = from_parent(&carried(&[("a", "1")]), None, Some(&set(&[])));
        assert_eq!(finish(d, vec![ByVersion::None], false, true, Some(&set(&[]))).need, vec!["a".to_string()]);
    }

    #[test]
    fn a_value_found_by_version_but_not_vouched_for_is_asked_for() {
        let d = from_parent(&carried(&[("a", "1")]), None, Some(&set(&[])));
        assert_eq!(finish(d, vec![ByVersion::One("x".into())], false, false, Some(&set(&[]))).need, vec!["a".to_string()]);
    }
}
