//! How many probes a series sends and how far apart: checked in one place.

use crate::text::Bilingual;

/// The most probes one series sends.
pub const MAX_PROBE_COUNT: u32 = 100_000;
/// The longest pause between two probes of a series.
pub const MAX_PROBE_INTERVAL_MS: u32 = 60_000;

/// A valid probe series: 1 to `MAX_PROBE_COUNT` probes, 0 to `MAX_PROBE_INTERVAL_MS` apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbePlan {
    count: u32,
    interval_ms: u32,
}

/// Why a probe series cannot start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbePlanError {
    Count(String),
    Interval(String),
}

impl ProbePlan {
    pub fn new(count: u32, interval_ms: u32) -> Result<Self, ProbePlanError> {
        if !(1..=MAX_PROBE_COUNT).contains(&count) {
            return Err(ProbePlanError::Count(count.to_string()));
        }
        if interval_ms > MAX_PROBE_INTERVAL_MS {
            return Err(ProbePlanError::Interval(interval_ms.to_string()));
        }
        Ok(ProbePlan { count, interval_ms })
    }

    /// Reads a plan as typed into a form.
    pub fn parse(count: &str, interval_ms: &str) -> Result<Self, ProbePlanError> {
        let c = count
            .trim()
            .parse::<u32>()
            .map_err(|_| ProbePlanError::Count(count.trim().to_string()))?;
        let i = interval_ms
            .trim()
            .parse::<u32>()
            .map_err(|_| ProbePlanError::Interval(interval_ms.trim().to_string()))?;
        Self::new(c, i)
    }

    pub fn count(self) -> u32 {
        self.count
    }

    pub fn interval_ms(self) -> u32 {
        self.interval_ms
    }
}

impl ProbePlanError {
    pub fn text(&self) -> Bilingual {
        match self {
            Self::Count(v) => Bilingual::new(
                format!("Probe count \"{v}\" must be a whole number from 1 to {MAX_PROBE_COUNT}."),
                format!("探测数量“{v}”须为 1 到 {MAX_PROBE_COUNT} 之间的整数。"),
            ),
            Self::Interval(v) => Bilingual::new(
                format!("Probe interval \"{v}\" must be 0 to {MAX_PROBE_INTERVAL_MS} ms."),
                format!("探测间隔“{v}”须为 0 到 {MAX_PROBE_INTERVAL_MS} 毫秒。"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_accepts_its_bounds_and_refuses_past_them() {
        assert!(ProbePlan::new(1, 0).is_ok());
        assert!(ProbePlan::new(MAX_PROBE_COUNT, MAX_PROBE_INTERVAL_MS).is_ok());
        assert_eq!(ProbePlan::new(0, 0), Err(ProbePlanError::Count("0".into())));
        assert!(matches!(
            ProbePlan::new(MAX_PROBE_COUNT + 1, 0),
            Err(ProbePlanError::Count(_))
        ));
        assert!(matches!(
            ProbePlan::new(1, MAX_PROBE_INTERVAL_MS + 1),
            Err(ProbePlanError::Interval(_))
        ));
    }

    #[test]
    fn a_typed_plan_names_the_field_that_is_wrong() {
        assert_eq!(
            ProbePlan::parse(" 5 ", "200"),
            Ok(ProbePlan::new(5, 200).expect("valid"))
        );
        assert_eq!(
            ProbePlan::parse("five", "200"),
            Err(ProbePlanError::Count("five".into()))
        );
        let err = ProbePlan::parse("5", "-1").expect_err("negative interval");
        assert!(err.text().en.contains("\"-1\""));
        assert!(err.text().zh.contains("-1"));
    }
}
