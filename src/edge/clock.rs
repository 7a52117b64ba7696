//! The page's clock: Unix epoch milliseconds, so that probe send times on one device compare
//! with receive times on another.

use ackscope_core::time::Millis;

pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}
