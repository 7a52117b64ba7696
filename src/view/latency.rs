//! The probe latency histogram, kept up to date as messages come and go.

/// Upper bounds of the latency histogram's buckets, in ms; one more bucket holds the rest.
const BOUNDS: [i64; 9] = [10, 25, 50, 100, 250, 500, 1_000, 5_000, 30_000];

/// The probe latency histogram, kept up to date as messages come and go, so that a
/// render costs the same with ten messages or a million.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u32; BOUNDS.len() + 1],
}

impl LatencyHistogram {
    fn bucket(latency_ms: i64) -> usize {
        BOUNDS
            .iter()
            .position(|b| latency_ms <= *b)
            .unwrap_or(BOUNDS.len())
    }

    pub fn add(&mut self, latency_ms: Option<i64>) {
        if let Some(lat) = latency_ms {
            self.counts[Self::bucket(lat)] += 1;
        }
    }

    pub fn remove(&mut self, latency_ms: Option<i64>) {
        if let Some(lat) = latency_ms {
            let c = &mut self.counts[Self::bucket(lat)];
            *c = c.saturating_sub(1);
        }
    }

    /// (upper bound in ms, count); the last bound is `i64::MAX`.
    pub fn buckets(&self) -> Vec<(i64, u32)> {
        BOUNDS
            .iter()
            .copied()
            .chain([i64::MAX])
            .zip(self.counts)
            .collect()
    }
}
