//! The probe series: numbered probes published on a schedule, a command of the session
//! with its timer in the session's table.

use super::{CommandError, Event, Qos, Session};
use crate::probe::{series_id, Probe, ProbePlan};
use crate::time::Millis;
use crate::topic::validate_name;

/// Probes sent in one tick at most, so that a catch-up (interval 0, a throttled tab)
/// hands the page back between batches.
const MAX_PROBES_PER_TICK: u32 = 100;

/// A probe series being sent (or finished: `sent == total`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProbeSeriesRun {
    pub series: String,
    pub topic: String,
    pub qos: Qos,
    pub plan: ProbePlan,
    pub started_at: Millis,
    pub sent: u32,
    /// Set when a publish was refused: the series stopped short.
    pub stopped: bool,
}

impl ProbeSeriesRun {
    /// When the next probe is due; `None` once the series ended.
    pub fn next_at(&self) -> Option<Millis> {
        (!self.stopped && self.sent < self.plan.count()).then(|| {
            self.started_at + Millis::from(self.sent) * Millis::from(self.plan.interval_ms())
        })
    }
}

/// What the page shows of the probe series being sent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProbeSeriesProgress {
    pub series: String,
    pub sent: u32,
    pub total: u32,
    pub running: bool,
}

impl Session {
    /// Starts a numbered probe series on `topic`: probe 1 now, probe n at
    /// `now + (n - 1) * interval`. Replaces a series still running. Returns the series id.
    pub fn start_probe_series(
        &mut self,
        topic: &str,
        qos: Qos,
        plan: ProbePlan,
        seed: u64,
        now: Millis,
    ) -> Result<String, CommandError> {
        validate_name(topic).map_err(CommandError::Topic)?;
        super::commands::check_qos(qos)?;
        self.live_socket().ok_or(CommandError::NotConnected)?;
        let series = series_id(seed);
        self.push_event(Event::ProbeSeriesStarted {
            at: now,
            series: series.clone(),
            topic: topic.to_string(),
            qos,
            total: plan.count(),
        });
        self.probe_series = Some(ProbeSeriesRun {
            series: series.clone(),
            topic: topic.to_string(),
            qos,
            plan,
            started_at: now,
            sent: 0,
            stopped: false,
        });
        self.probe_series_tick(now);
        Ok(series)
    }

    /// Sends every probe that is due, up to a batch.
    pub(crate) fn probe_series_tick(&mut self, now: Millis) {
        for _ in 0..MAX_PROBES_PER_TICK {
            let Some(run) = self.probe_series.as_mut() else {
                return;
            };
            if run.next_at().is_none_or(|at| at > now) {
                return;
            }
            run.sent += 1;
            let probe = Probe {
                series: run.series.clone(),
                seq: run.sent,
                sent_at: now,
            };
            let (topic, qos) = (run.topic.clone(), run.qos);
            if let Err(error) = self.publish(&topic, probe.encode(""), qos, false, now) {
                let Some(run) = self.probe_series.as_mut() else {
                    return;
                };
                run.sent -= 1;
                run.stopped = true;
                let (series, sent, total) = (run.series.clone(), run.sent, run.plan.count());
                self.push_event(Event::ProbeSeriesStopped {
                    at: now,
                    series,
                    sent,
                    total,
                    error,
                });
                return;
            }
        }
    }

    /// The series being sent, or the last one.
    pub fn probe_series_progress(&self) -> Option<ProbeSeriesProgress> {
        self.probe_series.as_ref().map(|r| ProbeSeriesProgress {
            series: r.series.clone(),
            sent: r.sent,
            total: r.plan.count(),
            running: r.next_at().is_some(),
        })
    }
}
