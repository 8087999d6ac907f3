//! Which rows of a channel's family must change before the row `owner` stored is replaced, when no
//! later checkpoint carries that value (see `refs::hand_over` for when one does): the rows whose base
//! it is become whole, and the rows built on those take them as their root.

use std::collections::{HashMap, HashSet};

pub struct DetachPlan {
    /// Rows whose base is `owner`: each is to be stored whole, its value assembled as it stands.
    pub children: Vec<String>,
    /// (row, new root): rows whose chain reaches one of `children` before `owner`.
    pub reroots: Vec<(String, String)>,
}

/// `family`: (owner id, base owner id) of every row with the same root as `owner`'s row.
pub fn plan(family: &[(String, Option<String>)], owner: &str) -> DetachPlan {
    let mut children: Vec<String> =
        family.iter().filter(|(_, base)| base.as_deref() == Some(owner)).map(|(o, _)| o.clone()).collect();
    children.sort();
    let is_child: HashSet<&str> = children.iter().map(String::as_str).collect();
    let base_of: HashMap<&str, Option<&str>> = family.iter().map(|(o, b)| (o.as_str(), b.as_deref())).collect();
    let mut reroots = Vec::new();
    for (row, _) in family {
        if is_child.contains(row.as_str()) {
            continue;
        }
        let mut cursor = base_of.get(row.as_str()).copied().flatten();
        // Bounded by the family's size: stored links cannot make this loop.
        for _ in 0..family.len() {
            let Some(id) = cursor else { break };
            if id == owner {
                break;
            }
            if is_child.contains(id) {
                reroots.push((row.clone(), id.to_string()));
                break;
            }
            cursor = base_of.get(id).copied().flatten();
        }
    }
    DetachPlan { children, reroots }
}

#[cfg(test)]
mod tests {
    #[test]
    fn children_become_whole_and_their_descendants_take_them_as_root() {
        let s = |x: &str| x.to_string();
        // r <- x <- a <- b, x <- c; d stands alone in the family (its base is r); a cycle e <-> f never loops.
        let family = vec![
            (s("r"), None),
            (s("x"), Some(s("r"))),
            (s("a"), Some(s("x"))),
            (s("b"), Some(s("a"))),
            (s("c"), Some(s("x"))),
            (s("d"), Some(s("r"))),
            (s("e"), Some(s("f"))),
            (s("f"), Some(s("e"))),
        ];
        let plan = super::plan(&family, "x");
        assert_eq!(plan.children, vec![s("a"), s("c")]);
        assert_eq!(plan.reroots, vec![(s("b"), s("a"))]);
    }
}
