//! A checkpoint's channel references: channel -> (checkpoint id that stored the value, its version).

use std::collections::BTreeMap;

pub type ChannelRefs = BTreeMap<String, (String, String)>;

pub fn parse(text: &str) -> Result<ChannelRefs, String> {
    serde_json::from_str(text).map_err(|e| format!("unreadable channel references: {e}"))
}

pub fn render(refs: &ChannelRefs) -> String {
    serde_json::to_string(refs).expect("string map always serializes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        let mut refs = super::ChannelRefs::new();
        refs.insert("messages".into(), ("cp-1".into(), "3".into()));
        let text = super::render(&refs);
        assert_eq!(text, r#"{"messages":["cp-1","3"]}"#);
        assert_eq!(super::parse(&text).unwrap(), refs);
    }
}
