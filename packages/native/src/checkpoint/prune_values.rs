//! Which stored values a prune removes, rewrites or re-roots once checkpoints are gone: the pure part
//! of collecting a thread's values in our compact layout (values per (namespace, channel, owner
//! checkpoint), lists chained as increments onto a base). A referenced increment whose chain runs
//! through a value nothing references any more is rewritten whole (rebased), so that value can go.

use std::collections::{HashMap, HashSet};

/// (namespace, channel, owner checkpoint id)
pub type ValueKey = (String, String, String);

/// One stored value row as the collector sees it.
#[derive(Debug, Clone)]
pub struct ValueLink {
    pub base: Option<String>,
    pub root: String,
    /// Payload bytes of the row.
    pub size: i64,
}

#[derive(Debug, Default, PartialEq)]
pub struct ValuePlan {
    /// Rows to rewrite as their whole value (assembled before anything changes), with no base.
    pub rebase: Vec<ValueKey>,
    /// Rows no remaining checkpoint can reach.
    pub delete: Vec<ValueKey>,
    /// Rows kept whose chain now ends at another root: (row, new root owner id).
    pub reroot: Vec<(ValueKey, String)>,
}

fn cycle(thread_id: &str, (ns, channel, owner): &ValueKey, at: &str) -> String {
    format!(
        "prune: channel {channel:?} of thread {thread_id:?} (namespace {ns:?}): the increment chain of checkpoint {owner:?} has a cycle at {at:?}"
    )
}

/// The plan for one thread's values, given the values the remaining checkpoints reference.
pub fn plan_values(
    thread_id: &str,
    referenced: &HashSet<ValueKey>,
    links: &HashMap<ValueKey, ValueLink>,
) -> Result<ValuePlan, String> {
    let mut plan = ValuePlan::default();
    let mut bases: HashMap<&ValueKey, Option<String>> = links.iter().map(|(k, l)| (k, l.base.clone())).collect();
    let mut sorted: Vec<&ValueKey> = referenced.iter().filter(|k| links.contains_key(*k)).collect();
    sorted.sort();
    for key in sorted {
        let Some(first) = &links[key].base else { continue };
        // Walk down the chain: an unreferenced link before the next referenced one means a rebase.
        let mut cursor = Some(first.clone());
        let mut visited: HashSet<String> = HashSet::from([key.2.clone()]);
        let mut must_rebase = false;
        while let Some(owner) = cursor {
            if !visited.insert(owner.clone()) {
                return Err(cycle(thread_id, key, &owner));
            }
            let k = (key.0.clone(), key.1.clone(), owner);
            if referenced.contains(&k) {
                break;
            }
            must_rebase = true;
            cursor = links.get(&k).and_then(|l| l.base.clone());
        }
        if must_rebase {
            plan.rebase.push(key.clone());
        }
    }
    for key in &plan.rebase {
        bases.insert(key, None);
    }
    let base_of = |k: &ValueKey| -> Option<ValueKey> {
        links.get_key_value(k).and_then(|(key, _)| bases[key].clone()).map(|b| (k.0.clone(), k.1.clone(), b))
    };

    let mut needed: HashSet<ValueKey> = HashSet::new();
    for key in referenced {
        let mut cursor = Some(key.clone());
        while let Some(k) = cursor {
            if !links.contains_key(&k) || !needed.insert(k.clone()) {
                break;
            }
            cursor = base_of(&k);
        }
    }
    let mut keys: Vec<&ValueKey> = links.keys().collect();
    keys.sort();
    for key in keys {
        if !needed.contains(key) {
            plan.delete.push(key.clone());
            continue;
        }
        let mut root = key.2.clone();
        let mut visited: HashSet<String> = HashSet::from([key.2.clone()]);
        let mut cursor = base_of(key);
        while let Some(b) = cursor {
            if !visited.insert(b.2.clone()) {
                return Err(cycle(thread_id, key, &b.2));
            }
            root = b.2.clone();
            cursor = base_of(&b);
        }
        if links[key].root != root {
            plan.reroot.push((key.clone(), root));
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(owner: &str) -> ValueKey {
        (String::new(), "messages".into(), owner.into())
    }

    /// A chain 1 <- 2 <- ... <- n, rooted at 1.
    fn chain(n: usize) -> HashMap<ValueKey, ValueLink> {
        (1..=n)
            .map(|i| (key(&i.to_string()), ValueLink { base: (i > 1).then(|| (i - 1).to_string()), root: "1".into(), size: 10 }))
            .collect()
    }

    fn refs(owners: &[&str]) -> HashSet<ValueKey> {
        owners.iter().map(|o| key(o)).collect()
    }

    #[test]
    fn an_increment_over_a_gone_link_is_rebased_and_the_rest_rerooted() {
        let plan = plan_values("t", &refs(&["4", "5"]), &chain(5)).unwrap();
        assert_eq!(plan.rebase, vec![key("4")]);
        assert_eq!(plan.delete, vec![key("1"), key("2"), key("3")]);
        assert_eq!(plan.reroot, vec![(key("4"), "4".into()), (key("5"), "4".into())]);
    }

    #[test]
    fn a_chain_whose_links_are_all_referenced_is_untouched() {
        let plan = plan_values("t", &refs(&["1", "3", "5"]), &chain(5)).unwrap();
        assert_eq!(plan.rebase, vec![key("3"), key("5")]);
        assert_eq!(plan.delete, vec![key("2"), key("4")]);
        assert_eq!(plan.reroot, vec![(key("3"), "3".into()), (key("5"), "5".into())]);
        assert!(plan_values("t", &refs(&["1", "2", "3"]), &chain(3)).unwrap() == ValuePlan::default());
    }

    #[test]
    fn nothing_referenced_deletes_everything_and_a_cycle_is_an_error() {
        assert_eq!(plan_values("t", &HashSet::new(), &chain(3)).unwrap().delete.len(), 3);
        let mut links = chain(3);
        links.get_mut(&key("1")).unwrap().base = Some("3".into());
        let err = plan_values("t", &refs(&["3"]), &links).unwrap_err();
        assert!(err.contains("cycle") && err.contains("\"messages\""), "{err}");
    }
}
