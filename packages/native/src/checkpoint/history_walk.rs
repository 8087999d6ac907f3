//! The walk behind getDeltaChannelHistory, shared by both engines: from a checkpoint's parent upwards,
//! each ancestor's writes to the channels that have no seed yet are kept, until every channel has met
//! the ancestor that holds its value (the seed). Each engine only says how ancestors and seeds are read.

use std::collections::HashMap;

use super::records::{ChannelHistory, StoredValue, StoredWrite};

pub struct HistoryWalk {
    channels: Vec<String>,
    writes: HashMap<String, Vec<StoredWrite>>,
    blocks: HashMap<String, Vec<Vec<StoredWrite>>>,
    seeds: HashMap<String, StoredValue>,
    remaining: Vec<String>,
}

impl HistoryWalk {
    /// `writes`: the thread's writes to `channels`, by checkpoint id, each list in `writesSortKey` order.
    pub fn new(channels: &[String], writes: HashMap<String, Vec<StoredWrite>>) -> Self {
        Self { channels: channels.to_vec(), writes, blocks: HashMap::new(), seeds: HashMap::new(), remaining: channels.to_vec() }
    }

    /// Channels still looking for their seed.
    pub fn remaining(&self) -> &[String] {
        &self.remaining
    }

    pub fn done(&self) -> bool {
        self.remaining.is_empty()
    }

    /// Keeps `ancestor_id`'s writes to the remaining channels; call it before looking up that ancestor's seeds.
    pub fn visit(&mut self, ancestor_id: &str) {
        let Some(ws) = self.writes.remove(ancestor_id) else { return };
        for ch in &self.remaining {
            let block: Vec<StoredWrite> = ws.iter().filter(|w| &w.channel == ch).cloned().collect();
            if !block.is_empty() {
                self.blocks.entry(ch.clone()).or_default().push(block);
            }
        }
    }

    /// The value `channel` has in the ancestor just visited: the end of that channel's walk.
    pub fn seed(&mut self, channel: &str, value: StoredValue) {
        self.remaining.retain(|c| c != channel);
        self.seeds.insert(channel.to_string(), value);
    }

    /// One history per channel, in the order asked, writes oldest ancestor first.
    pub fn finish(mut self) -> Vec<ChannelHistory> {
        let channels = std::mem::take(&mut self.channels);
        channels
            .into_iter()
            .map(|ch| {
                let mut ordered = self.blocks.remove(&ch).unwrap_or_default();
                ordered.reverse();
                let seed = self.seeds.remove(&ch);
                ChannelHistory { channel: ch, seed, writes: ordered.into_iter().flatten().collect() }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(checkpoint: &str, channel: &str, value: &str) -> (String, StoredWrite) {
        let w = StoredWrite {
            task_id: format!("task-{checkpoint}"),
            channel: channel.into(),
            kind: "json".into(),
            value: value.as_bytes().to_vec(),
            task_path: String::new(),
            idx: 0,
        };
        (checkpoint.to_string(), w)
    }

    fn by_checkpoint(writes: Vec<(String, StoredWrite)>) -> HashMap<String, Vec<StoredWrite>> {
        let mut out: HashMap<String, Vec<StoredWrite>> = HashMap::new();
        for (id, w) in writes {
            out.entry(id).or_default().push(w);
        }
        out
    }

    fn seed(channel: &str, owner: &str) -> StoredValue {
        StoredValue {
            channel: channel.into(),
            owner_id: owner.into(),
            kind: "json".into(),
            data: b"[]".to_vec(),
            row_token: None,
        }
    }

    fn values(h: &ChannelHistory) -> Vec<String> {
        h.writes.iter().map(|w| String::from_utf8(w.value.clone()).unwrap()).collect()
    }

    #[test]
    fn keeps_writes_up_to_each_channels_seed_oldest_first() {
        let channels = vec!["a".to_string(), "b".to_string()];
        let writes = by_checkpoint(vec![
            write("c3", "a", "a3"),
            write("c3", "b", "b3"),
            write("c2", "a", "a2"),
            write("c2", "b", "b2"),
            write("c1", "a", "a1"),
            write("c1", "b", "b1"),
            write("c9", "a", "not an ancestor"),
        ]);
        let mut walk = HistoryWalk::new(&channels, writes);
        // Walking from c4's parent upwards: c3, then c2 (which holds b's value), then c1 (a's).
        walk.visit("c3");
        walk.visit("c2");
        walk.seed("b", seed("b", "c2"));
        assert_eq!(walk.remaining(), &["a".to_string()]);
        walk.visit("c1");
        walk.seed("a", seed("a", "c1"));
        assert!(walk.done());

        let histories = walk.finish();
        assert_eq!(histories.iter().map(|h| h.channel.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(values(&histories[0]), ["a1", "a2", "a3"]);
        assert_eq!(histories[0].seed.as_ref().unwrap().owner_id, "c1");
        assert_eq!(values(&histories[1]), ["b2", "b3"]);
        assert_eq!(histories[1].seed.as_ref().unwrap().owner_id, "c2");
    }

    #[test]
    fn a_channel_without_a_seed_keeps_every_ancestors_writes() {
        let channels = vec!["a".to_string()];
        let mut walk = HistoryWalk::new(&channels, by_checkpoint(vec![write("c2", "a", "x"), write("c1", "a", "y")]));
        walk.visit("c2");
        walk.visit("c1");
        walk.visit("c0");
        let histories = walk.finish();
        assert!(histories[0].seed.is_none());
        assert_eq!(values(&histories[0]), ["y", "x"]);
    }
}
