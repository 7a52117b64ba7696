//! How often the page redraws while input pours in. A render is paid on the main thread,
//! where the socket input and its acks wait: the page renders at most once per animation
//! frame and at most every `MIN_GAP_MS` (20 a second is smooth for counts that race), spends
//! at most a quarter of its time rendering, and still shows new counts at least every
//! `MAX_GAP_MS`. After a quiet spell the next render waits for nothing but a frame.

/// The longest the page waits between two renders, whatever rendering costs.
pub const MAX_GAP_MS: f64 = 100.0;
/// The shortest time between the starts of two renders.
pub const MIN_GAP_MS: f64 = 50.0;
/// Rendering's share of the time is at most 1 / `BUDGET_FACTOR`.
const BUDGET_FACTOR: f64 = 4.0;

/// The cost of the last render and when it started, in `performance.now()` milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RenderPace {
    started: Option<f64>,
    cost: f64,
}

impl RenderPace {
    /// How long to wait, from `now`, before asking for the frame of the next render.
    pub fn wait(&self, now: f64) -> f64 {
        let Some(started) = self.started else {
            return 0.0;
        };
        let gap = (self.cost * BUDGET_FACTOR).clamp(MIN_GAP_MS, MAX_GAP_MS);
        (started + gap - now).max(0.0)
    }

    /// A render starts (in an animation frame).
    pub fn started(&mut self, now: f64) {
        self.started = Some(now);
    }

    /// The render that started last is done: its cost paces the next one.
    pub fn finished(&mut self, now: f64) {
        if let Some(started) = self.started {
            self.cost = (now - started).max(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_render_waits_for_nothing_but_a_frame() {
        assert_eq!(RenderPace::default().wait(5.0), 0.0);
    }

    #[test]
    fn a_cheap_render_is_followed_by_the_next_after_the_min_gap() {
        let mut p = RenderPace::default();
        p.started(1_000.0);
        p.finished(1_002.0);
        assert_eq!(p.wait(1_016.0), MIN_GAP_MS - 16.0);
        assert_eq!(p.wait(1_000.0 + MIN_GAP_MS), 0.0);
    }

    #[test]
    fn after_a_quiet_spell_a_render_waits_for_nothing() {
        let mut p = RenderPace::default();
        p.started(1_000.0);
        p.finished(1_030.0);
        assert_eq!(p.wait(5_000.0), 0.0);
    }

    #[test]
    fn a_costly_render_keeps_rendering_to_a_quarter_of_the_time() {
        let mut p = RenderPace::default();
        p.started(1_000.0);
        p.finished(1_020.0);
        // 20 ms of rendering: the next starts 80 ms after this one started.
        assert_eq!(p.wait(1_020.0), 60.0);
        assert_eq!(p.wait(1_080.0), 0.0);
    }

    #[test]
    fn however_costly_a_render_the_count_moves_within_the_max_gap() {
        let mut p = RenderPace::default();
        p.started(1_000.0);
        p.finished(1_080.0);
        assert_eq!(p.wait(1_080.0), MAX_GAP_MS - 80.0);
    }

    #[test]
    fn a_render_that_never_reported_its_end_is_paced_as_a_cheap_one() {
        let mut p = RenderPace::default();
        p.started(1_000.0);
        assert_eq!(p.wait(1_016.0), MIN_GAP_MS - 16.0);
    }
}
