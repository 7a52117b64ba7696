//! ackscope's page: a thin browser edge around `ackscope-core`, rendered with Yew.
//!
//! - `edge/`: the browser edge (WebSocket, clock, timers, storage, files, downloads,
//!   clipboard, the page's URL); it drives the core and owns no protocol rules.
//! - `view/`: view state built from the core's events (message rows, packet log, timeline).
//! - `components/`: Yew components that render view state and send intents.

pub mod components;
pub mod edge;
pub mod i18n;
pub mod view;

/// Starts the page.
pub fn run() {
    console_error_panic_hook::set_once();
    yew::Renderer::<components::app::App>::new().render();
}
