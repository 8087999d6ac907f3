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
        Self {
            channels: channels.to_vec(),
            writes,
            blocks: HashMap::new(),
            seeds: HashMap::new(),
            remaining: channels.to_vec(),
        }
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
