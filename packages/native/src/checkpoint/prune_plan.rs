//! Which checkpoints of one thread a prune keeps. Pure logic over checkpoint heads, so the safety
//! rules are unit-tested without a database.

use std::collections::{BTreeMap, BTreeSet, HashSet};

/// One checkpoint as the planner sees it.
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub ns: String,
    pub id: String,
    pub parent: Option<String>,
    pub ts: String,
    pub version: i64,
    /// Channels whose value this checkpoint holds (its refs, or the official layout's inline values).
    pub holds: BTreeSet<String>,
    /// metadata.parents: namespace -> checkpoint id this checkpoint was taken under.
    pub parents_meta: BTreeMap<String, String>,
    /// Channels named in metadata.counters_since_delta_snapshot: rebuilt from ancestor writes.
    pub delta_channels: Vec<String>,
    pub has_writes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    KeepLast,
    KeepLatest,
    Delete,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub strategy: Strategy,
    /// Newest checkpoints kept per namespace (at least 1).
    pub keep_last: usize,
    /// ISO-8601 timestamp; only checkpoints older than it may go.
    pub older_than: Option<String>,
}

pub type Key = (String, String);

/// The keys to remove. Never removes: a namespace's newest checkpoint; a branch tip holding pending
/// writes (an unfinished step: interrupts, resumes, finished tasks of a step that is not done); a
/// checkpoint a kept one names in `metadata.parents` (subgraph links); the ancestors a kept
/// checkpoint's delta channels replay back to their seed; the parent of a pre-v4 checkpoint, whose
/// pending sends live in the parent's writes.
pub fn plan(heads: &[Head], policy: &Policy) -> Result<Vec<Key>, String> {
    if policy.strategy == Strategy::Delete {
        let newest = heads.iter().map(|h| h.ts.as_str()).max().unwrap_or("");
        let expired = policy.older_than.as_deref().is_none_or(|cutoff| newest < cutoff);
        return Ok(if expired { heads.iter().map(|h| (h.ns.clone(), h.id.clone())).collect() } else { Vec::new() });
    }
    let by_key: BTreeMap<Key, &Head> = heads.iter().map(|h| ((h.ns.clone(), h.id.clone()), h)).collect();
    let mut namespaces: BTreeMap<&str, Vec<&Head>> = BTreeMap::new();
    for h in heads {
        namespaces.entry(h.ns.as_str()).or_default().push(h);
    }
    let keep_last = if policy.strategy == Strategy::KeepLatest { 1 } else { policy.keep_last.max(1) };
    let mut keep: HashSet<Key> = HashSet::new();
    for (ns, mut group) in namespaces {
        group.sort_by(|a, b| b.id.cmp(&a.id));
        let has_child: HashSet<&str> = group.iter().filter_map(|h| h.parent.as_deref()).collect();
        for (rank, h) in group.iter().enumerate() {
            let recent = rank < keep_last;
            let young = policy.older_than.as_deref().is_some_and(|cutoff| h.ts.as_str() >= cutoff);
            let unfinished_tip = h.has_writes && !has_child.contains(h.id.as_str());
            if recent || young || unfinished_tip {
                keep.insert((ns.to_string(), h.id.clone()));
            }
        }
    }

    let mut queue: Vec<Key> = keep.iter().cloned().collect();
    while let Some(key) = queue.pop() {
        let Some(h) = by_key.get(&key) else { continue };
        let mut needed: Vec<Key> = h.parents_meta.iter().map(|(ns, id)| (ns.clone(), id.clone())).collect();
        if h.version < 4 {
            if let Some(p) = &h.parent {
                needed.push((h.ns.clone(), p.clone()));
            }
        }
        for channel in h.delta_channels.iter().filter(|c| !h.holds.contains(*c)) {
            let mut cursor = h.parent.clone();
            let mut visited: HashSet<String> = HashSet::from([h.id.clone()]);
            while let Some(id) = cursor {
                if !visited.insert(id.clone()) {
                    return Err(format!(
                        "prune: channel {channel:?} of checkpoint {:?} (namespace {:?}): its parent chain has a cycle at {id:?}",
                        h.id, h.ns
                    ));
                }
                let k = (h.ns.clone(), id);
                let Some(a) = by_key.get(&k) else { break };
                needed.push(k);
                if a.holds.contains(channel) {
                    break;
                }
                cursor = a.parent.clone();
            }
        }
        for k in needed {
            if by_key.contains_key(&k) && keep.insert(k.clone()) {
                queue.push(k);
            }
        }
    }
    Ok(heads.iter().map(|h| (h.ns.clone(), h.id.clone())).filter(|k| !keep.contains(k)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(heads: &[Head], policy: &Policy) -> Vec<Key> {
        super::plan(heads, policy).unwrap()
    }

    fn head(ns: &str, id: &str, parent: Option<&str>) -> Head {
        Head {
            ns: ns.into(),
            id: id.into(),
            parent: parent.map(Into::into),
            ts: format!("2026-01-01T00:00:0{id}Z"),
            version: 4,
            ..Default::default()
        }
    }

    fn chain(n: usize) -> Vec<Head> {
        (1..=n).map(|i| head("", &i.to_string(), (i > 1).then(|| (i - 1).to_string()).as_deref())).collect()
    }

    fn keep_last(n: usize) -> Policy {
        Policy { strategy: Strategy::KeepLast, keep_last: n, older_than: None }
    }

    fn ids(keys: Vec<Key>) -> Vec<String> {
        let mut v: Vec<String> = keys.into_iter().map(|(_, id)| id).collect();
        v.sort();
        v
    }

    #[test]
    fn keeps_the_newest_per_namespace() {
        assert_eq!(ids(plan(&chain(5), &keep_last(2))), vec!["1", "2", "3"]);
        let mut heads = chain(3);
        heads.push(head("child", "7", None));
        assert_eq!(ids(plan(&heads, &Policy { strategy: Strategy::KeepLatest, keep_last: 9, older_than: None })), vec!["1", "2"]);
    }

    #[test]
    fn age_limits_only_remove_old_checkpoints_beyond_the_newest() {
        let policy = Policy { strategy: Strategy::KeepLast, keep_last: 1, older_than: Some("2026-01-01T00:00:03Z".into()) };
        assert_eq!(ids(plan(&chain(5), &policy)), vec!["1", "2"]);
    }

    #[test]
    fn never_removes_an_unfinished_branch_tip_or_what_kept_ones_point_to() {
        let mut heads = chain(5);
        heads.push(Head { has_writes: true, ..head("", "3b", Some("2")) });
        heads[4].parents_meta.insert("outer".into(), "9".into());
        heads.push(head("outer", "9", None));
        heads.push(head("outer", "99", None));
        assert_eq!(ids(plan(&heads, &keep_last(1))), vec!["1", "2", "3", "4"]);
    }

    #[test]
    fn keeps_the_ancestors_a_delta_channel_replays_back_to_its_seed() {
        let mut heads = chain(6);
        heads[1].holds.insert("log".into());
        heads[5].delta_channels.push("log".into());
        assert_eq!(ids(plan(&heads, &keep_last(1))), vec!["1"]);
    }

    #[test]
    fn pre_v4_checkpoints_keep_their_parent() {
        let mut heads = chain(4);
        heads[3].version = 1;
        assert_eq!(ids(plan(&heads, &keep_last(1))), vec!["1", "2"]);
    }

    #[test]
    fn delete_removes_whole_threads_only_when_expired() {
        let heads = chain(3);
        let delete = |older: Option<&str>| Policy { strategy: Strategy::Delete, keep_last: 0, older_than: older.map(Into::into) };
        assert_eq!(plan(&heads, &delete(None)).len(), 3);
        assert!(plan(&heads, &delete(Some("2026-01-01T00:00:02Z"))).is_empty());
        assert_eq!(plan(&heads, &delete(Some("2027-01-01T00:00:00Z"))).len(), 3);
    }

    #[test]
    fn a_parent_cycle_is_an_error_not_a_loop() {
        let mut heads = chain(3);
        heads[0].parent = Some("3".into());
        for h in &mut heads {
            h.delta_channels = vec!["messages".into()];
        }
        heads[2].has_writes = true;
        let err = super::plan(&heads, &keep_last(1)).unwrap_err();
        assert!(err.contains("\"messages\"") && err.contains("cycle"), "{err}");
    }
}
