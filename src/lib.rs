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
    // First: a panic anywhere after this shows the crash banner and closes the sockets
    // (and still logs to the console, as console_error_panic_hook does).
    edge::panic::install();
    yew::Renderer::<components::app::App>::new().render();
}
