//! Live updates for the dispatch board and the patrol phones: a sighting changed, in which
//! region. Pages listen over server-sent events and re-read what they show, so an event
//! carries no data a listener might not be allowed to see.

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// A sighting was created or moved a step, in this region.
    Sighting { id: i64, region: String },
    /// The server is stopping: streams end so shutdown does not wait for them.
    Closing,
}

pub struct Live {
    tx: broadcast::Sender<LiveEvent>,
}

impl Default for Live {
    fn default() -> Self {
        // A slow listener that falls this far behind skips to the latest (it re-reads
        // the page anyway).
        Live {
            tx: broadcast::channel(256).0,
        }
    }
}

impl Live {
    pub fn sighting(&self, id: i64, region: &str) {
        let _ = self.tx.send(LiveEvent::Sighting {
            id,
            region: region.to_string(),
        });
    }

    pub fn close(&self) {
        let _ = self.tx.send(LiveEvent::Closing);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }
}
