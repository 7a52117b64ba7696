//! Which rows of a long, fixed-row-height list are in the DOM, and where they sit.
//!
//! Design: only the rows in view (plus a few) exist; the list's height stands for all of
//! them. Browsers cap an element's height (Chromium near 33.5 million px, Firefox near 17.9
//! million): a million 48 px rows would be cut short and the newest unreachable. Past
//! `MAX_LIST_PX` the height is scaled down, a scroll position maps to a row by the same
//! scale, and the rows in view are placed at the scroll position.

/// The tallest a list is made, well under every browser's cap.
pub const MAX_LIST_PX: f64 = 8_000_000.0;

/// The rows to render and the list's geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct ListWindow {
    /// Rows `start..end` (positions among the rows shown) are rendered.
    pub start: usize,
    pub end: usize,
    /// The list's height.
    pub height_px: f64,
    /// Space above the first rendered row.
    pub pad_top_px: f64,
}

/// The window of `count` rows of `row_px` each in a viewport of `view_px`, scrolled to
/// `scroll_top` or, when `follow`, to the newest row; `overscan` rows more on each side.
pub fn list_window(
    count: usize,
    follow: bool,
    scroll_top: f64,
    row_px: f64,
    view_px: f64,
    overscan: usize,
) -> ListWindow {
    let full = count as f64 * row_px;
    let height_px = full.min(MAX_LIST_PX);
    let visible = (view_px / row_px) as usize + 1;
    let last_first = count.saturating_sub(visible);
    if full <= MAX_LIST_PX {
        let first = if follow {
            last_first
        } else {
            (scroll_top.max(0.0) / row_px) as usize
        };
        let start = first.saturating_sub(overscan).min(count);
        let end = (first + visible + overscan).min(count);
        return ListWindow {
            start,
            end,
            height_px,
            pad_top_px: start as f64 * row_px,
        };
    }
    // Scaled: the scroll range maps onto the range of first rows, end to end.
    let range = (height_px - view_px).max(1.0);
    let top = if follow {
        range
    } else {
        scroll_top.clamp(0.0, range)
    };
    let first = ((top / range) * last_first as f64).round() as usize;
    let start = first.saturating_sub(overscan);
    let end = (first + visible + overscan).min(count);
    // The first row in view sits at the scroll position; the last rows end with the list.
    let rendered_px = (end - start) as f64 * row_px;
    let pad_top_px = (top - (first - start) as f64 * row_px)
        .min(height_px - rendered_px)
        .max(0.0);
    ListWindow {
        start,
        end,
        height_px,
        pad_top_px,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_list_is_laid_out_row_by_row() {
        let w = list_window(1_000, false, 48.0 * 100.0, 48.0, 336.0, 8);
        assert_eq!((w.start, w.end), (92, 116));
        assert_eq!(w.height_px, 48_000.0);
        assert_eq!(w.pad_top_px, 92.0 * 48.0);
    }

    #[test]
    fn following_shows_the_newest_rows() {
        let w = list_window(1_000, true, 0.0, 48.0, 336.0, 8);
        assert_eq!(w.end, 1_000);
        assert_eq!(w.start, 1_000 - 8 - 8);
    }

    #[test]
    fn a_million_rows_fit_under_the_cap_and_the_bottom_reaches_the_newest() {
        let bottom = MAX_LIST_PX - 336.0;
        let w = list_window(1_000_000, false, bottom, 48.0, 336.0, 8);
        assert_eq!(w.height_px, MAX_LIST_PX);
        assert_eq!(
            w.end, 1_000_000,
            "scrolled to the bottom, the newest row is rendered"
        );
        assert_eq!(
            w.pad_top_px + (w.end - w.start) as f64 * 48.0,
            MAX_LIST_PX,
            "and the rows end with the list"
        );
        assert_eq!(
            list_window(1_000_000, true, 0.0, 48.0, 336.0, 8),
            w,
            "as when following"
        );
        let top = list_window(1_000_000, false, 0.0, 48.0, 336.0, 8);
        assert_eq!((top.start, top.pad_top_px), (0, 0.0));
        // Halfway down: the middle rows, placed at the scroll position.
        let middle = list_window(1_000_000, false, bottom / 2.0, 48.0, 336.0, 8);
        assert_eq!(middle.start + 8, 499_996);
        assert_eq!(middle.pad_top_px + 8.0 * 48.0, bottom / 2.0);
    }

    #[test]
    fn no_rows_is_an_empty_window() {
        let w = list_window(0, true, 0.0, 48.0, 336.0, 8);
        assert_eq!(
            (w.start, w.end, w.height_px, w.pad_top_px),
            (0, 0, 0.0, 0.0)
        );
    }
}
