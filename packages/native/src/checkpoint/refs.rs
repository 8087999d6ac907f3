//! A checkpoint's channel references: channel -> (checkpoint id that stored the value, its version).

use std::collections::BTreeMap;

pub type ChannelRefs = BTreeMap<String, (String, String)>;

pub fn parse(text: &str) -> Result<ChannelRefs, String> {
    serde_json::from_str(text).map_err(|e| format!("unreadable channel references: {e}"))
}

pub fn render(refs: &ChannelRefs) -> String {
    serde_json::to_string(refs).expect("string map always serializes")
}

/// How `owner` appears in rendered references (a JSON string): rows holding it are the candidates of [`hand_over`].
pub fn owner_needle(owner: &str) -> String {
    serde_json::to_string(owner).expect("a string always serializes")
}

/// A value carried by later checkpoints, handed over from the checkpoint that stored it (which is about
/// to store another value for the channel): the heir (the first carrier by id) and every carrier's
/// references re-pointed to it.
pub struct HandOver {
    pub heir: String,
    pub carriers: Vec<(String, String)>,
}

/// Of `rows` (checkpoint id, rendered references), those whose reference for `channel` names `owner`;
/// None when no row carries that value.
pub fn hand_over(rows: Vec<(String, String)>, channel: &str, owner: &str) -> Result<Option<HandOver>, String> {
    let mut carriers = Vec::new();
    for (id, text) in rows {
        let refs = parse(&text)?;
        if id != owner && refs.get(channel).is_some_and(|(o, _)| o == owner) {
            carriers.push((id, refs));
        }
    }
    carriers.sort_by(|a, b| a.0.cmp(&b.0));
    let Some(heir) = carriers.first().map(|(id, _)| id.clone()) else { return Ok(None) };
    let carriers = carriers
        .into_iter()
        .map(|(id, mut refs)| {
            if let Some(entry) = refs.get_mut(channel) {
                entry.0 = heir.clone();
            }
            (id, render(&refs))
        })
        .collect();
    Ok(Some(HandOver { heir, carriers }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hands_a_carried_value_to_its_first_carrier() {
        let rows = vec![
            ("c3".to_string(), r#"{"a":["c1","1"],"b":["c3","2"]}"#.to_string()),
            ("c2".to_string(), r#"{"a":["c1","1"],"b":["c1","1"]}"#.to_string()),
            ("c4".to_string(), r#"{"a":["c4","3"],"b":["c1","1"]}"#.to_string()),
            ("c1".to_string(), r#"{"a":["c1","1"]}"#.to_string()),
        ];
        let h = super::hand_over(rows.clone(), "a", "c1").unwrap().unwrap();
        assert_eq!(h.heir, "c2");
        assert_eq!(
            h.carriers,
            vec![
                ("c2".to_string(), r#"{"a":["c2","1"],"b":["c1","1"]}"#.to_string()),
                ("c3".to_string(), r#"{"a":["c2","1"],"b":["c3","2"]}"#.to_string()),
            ]
        );
        assert!(super::hand_over(rows, "a", "c4").unwrap().is_none());
        assert_eq!(super::owner_needle("a\"b"), r#""a\"b""#);
    }

    #[test]
    fn round_trips() {
        let mut refs = super::ChannelRefs::new();
        refs.insert("messages".into(), ("cp-1".into(), "3".into()));
        let text = super::render(&refs);
        assert_eq!(text, r#"{"messages":["cp-1","3"]}"#);
        assert_eq!(super::parse(&text).unwrap(), refs);
    }
}
