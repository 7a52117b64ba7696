//! The messages list's filter, and the rows it keeps, kept up to date as rows arrive.
//!
//! Design: a list can hold a million rows. The needles are prepared once per filter
//! (`memmem::Finder`) and payloads are searched as bytes: building a string searcher and
//! checking UTF-8 for every row cost 60 ms per 200,000 rows, the search itself 3 ms. The
//! rows kept are remembered by absolute index; a render scans only the rows that arrived
//! since the last one and forgets those evicted.

use super::ring::Ring;
use super::MessageRow;
use memchr::memmem::Finder;
use std::collections::VecDeque;

/// What the user typed; empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessageFilter {
    pub topic: String,
    pub verdict: String,
    pub text: String,
}

impl MessageFilter {
    pub fn is_empty(&self) -> bool {
        self.topic.is_empty() && self.verdict.is_empty() && self.text.is_empty()
    }

    /// The filter, prepared to test many rows.
    pub fn matcher(&self) -> Matcher {
        let finder = |s: &str| (!s.is_empty()).then(|| Finder::new(s.as_bytes()).into_owned());
        Matcher {
            topic: finder(&self.topic),
            verdict: self.verdict.clone(),
            text: finder(&self.text),
            // Invalid UTF-8 shows as U+FFFD: a needle with it must meet the payload as shown.
            text_as_shown: self
                .text
                .contains(char::REPLACEMENT_CHARACTER)
                .then(|| self.text.clone()),
        }
    }
}

/// A prepared filter.
pub struct Matcher {
    topic: Option<Finder<'static>>,
    verdict: String,
    text: Option<Finder<'static>>,
    text_as_shown: Option<String>,
}

impl Matcher {
    pub fn keeps(&self, m: &MessageRow) -> bool {
        let topic = self
            .topic
            .as_ref()
            .is_none_or(|f| f.find(m.topic.as_bytes()).is_some());
        let verdict = self.verdict.is_empty() || m.verdict.as_str() == self.verdict;
        let text = match (&self.text_as_shown, &self.text) {
            (Some(shown), _) => m.payload_text().contains(shown.as_str()),
            (None, Some(f)) => f.find(&m.payload).is_some(),
            (None, None) => true,
        };
        topic && verdict && text
    }
}

/// The absolute indices of the rows a filter keeps, brought up to date on each read.
#[derive(Debug, Default)]
pub struct FilterCache {
    filter: MessageFilter,
    /// The first absolute index not looked at yet.
    next: u64,
    kept: VecDeque<u64>,
}

impl FilterCache {
    /// The rows of `rows` that `filter` keeps, oldest first, by absolute index.
    pub fn kept(&mut self, filter: &MessageFilter, rows: &Ring<MessageRow>) -> &VecDeque<u64> {
        let oldest = rows.evicted();
        let end = oldest + rows.len() as u64;
        if *filter != self.filter || self.next > end {
            self.filter = filter.clone();
            self.kept.clear();
            self.next = oldest;
        }
        while self.kept.front().is_some_and(|i| *i < oldest) {
            self.kept.pop_front();
        }
        let matcher = filter.matcher();
        for i in self.next.max(oldest)..end {
            if rows.get_absolute(i).is_some_and(|m| matcher.keeps(m)) {
                self.kept.push_back(i);
            }
        }
        self.next = end;
        &self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ackscope_core::verdicts::{Evidence, VerdictKind};
    use std::rc::Rc;

    fn row(topic: &str, payload: &[u8], verdict: VerdictKind) -> MessageRow {
        MessageRow {
            at: 0,
            topic: topic.into(),
            payload: Rc::from(payload.to_vec()),
            qos: 1,
            dup: false,
            retain: false,
            packet_id: None,
            verdict,
            certain: true,
            evidence: Evidence::NoReplaySign,
            probe_seq: None,
            latency_ms: None,
            into_dead_connection: false,
        }
    }

    fn filter(topic: &str, verdict: &str, text: &str) -> MessageFilter {
        MessageFilter {
            topic: topic.into(),
            verdict: verdict.into(),
            text: text.into(),
        }
    }

    #[test]
    fn each_field_narrows_and_empty_ones_match_everything() {
        let m = row("dev/1/temp", b"{\"t\": 21.5}", VerdictKind::Offline);
        assert!(filter("", "", "").matcher().keeps(&m));
        assert!(filter("1/te", "offline", "21.5").matcher().keeps(&m));
        assert!(!filter("dev/2", "", "").matcher().keeps(&m));
        assert!(!filter("", "live", "").matcher().keeps(&m));
        assert!(!filter("", "", "22").matcher().keeps(&m));
    }

    #[test]
    fn text_is_found_in_payloads_as_shown_even_with_invalid_utf8() {
        let m = row("t", b"ok \xff\xfe tail", VerdictKind::Live);
        assert!(filter("", "", "tail").matcher().keeps(&m));
        assert!(filter("", "", "ok \u{FFFD}").matcher().keeps(&m));
        assert!(filter("", "", "温度").matcher().keeps(&row(
            "t",
            "温度 21".as_bytes(),
            VerdictKind::Live
        )));
    }

    #[test]
    fn the_cache_scans_only_new_rows_and_forgets_evicted_ones() {
        let mut rows = Ring::new(4);
        for p in ["a1", "b", "a2"] {
            rows.push(row("t", p.as_bytes(), VerdictKind::Live));
        }
        let mut cache = FilterCache::default();
        let f = filter("", "", "a");
        assert_eq!(
            cache.kept(&f, &rows).iter().copied().collect::<Vec<_>>(),
            vec![0, 2]
        );
        for p in ["a3", "c", "a4"] {
            rows.push(row("t", p.as_bytes(), VerdictKind::Live));
        }
        // Held now: absolute 2..=5 (a2, a3, c, a4); 0 and 1 were evicted.
        assert_eq!(
            cache.kept(&f, &rows).iter().copied().collect::<Vec<_>>(),
            vec![2, 3, 5]
        );
        let g = filter("", "", "c");
        assert_eq!(
            cache.kept(&g, &rows).iter().copied().collect::<Vec<_>>(),
            vec![4],
            "a new filter starts over"
        );
    }

    #[test]
    fn the_cache_starts_over_for_a_new_list() {
        let mut rows = Ring::new(10);
        for p in ["a", "a", "a"] {
            rows.push(row("t", p.as_bytes(), VerdictKind::Live));
        }
        let mut cache = FilterCache::default();
        let f = filter("", "", "a");
        assert_eq!(cache.kept(&f, &rows).len(), 3);
        let mut other = Ring::new(10);
        other.push(row("t", b"a", VerdictKind::Live));
        assert_eq!(
            cache.kept(&f, &other).iter().copied().collect::<Vec<_>>(),
            vec![0]
        );
    }
}
