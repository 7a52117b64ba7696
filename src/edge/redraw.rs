//! "Something changed" becomes one render in an animation frame, paced by what rendering
//! costs (`view::pace`): a burst of socket input means a few renders, not one per message,
//! and the input (and its acks) gets most of the main thread.

use crate::view::pace::RenderPace;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::Callback;

/// Shared by everything that asks for a render (devices, the page clock) and by the page
/// that reports each render's end.
#[derive(Clone)]
pub struct Redraw {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    pace: RenderPace,
    /// A render is already asked for (a frame, or a timer on a hidden page, is pending).
    asked: bool,
    /// A hidden page's render timer.
    timer: Option<Timeout>,
    render: Callback<()>,
}

fn performance_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

impl Redraw {
    /// `render` makes the page render (a reducer's dispatch).
    pub fn new(render: Callback<()>) -> Self {
        Redraw {
            inner: Rc::new(RefCell::new(Inner {
                pace: RenderPace::default(),
                asked: false,
                timer: None,
                render,
            })),
        }
    }

    /// Ask for a render; asks made before it happens are one render.
    pub fn ask(&self) {
        {
            let mut i = self.inner.borrow_mut();
            if i.asked {
                return;
            }
            i.asked = true;
        }
        self.in_next_frame();
    }

    /// The page rendered: the time since the render started is its cost.
    pub fn rendered(&self) {
        self.inner.borrow_mut().pace.finished(performance_now());
    }

    /// As a callback, for whoever only asks.
    pub fn callback(&self) -> Callback<()> {
        let me = self.clone();
        Callback::from(move |_| me.ask())
    }

    /// Renders in the first animation frame the pace allows. Frames, not a timer, count the
    /// wait: a flood of socket input can hold frames back by 100 ms and more, and a render
    /// timed to the pace would then wait for one more of them.
    fn in_next_frame(&self) {
        let me = self.clone();
        let frame = move || {
            let waited_enough = me.inner.borrow().pace.wait(performance_now()) <= 0.0;
            if !waited_enough {
                me.in_next_frame();
                return;
            }
            let render = {
                let mut i = me.inner.borrow_mut();
                i.asked = false;
                i.pace.started(performance_now());
                i.render.clone()
            };
            render.emit(());
        };
        // A hidden page gets no animation frames: it renders on a timer.
        let window = web_sys::window().filter(|w| w.document().is_some_and(|d| !d.hidden()));
        let asked = window.is_some_and(|w| {
            let frame = Closure::once_into_js(frame.clone());
            w.request_animation_frame(frame.unchecked_ref()).is_ok()
        });
        if !asked {
            let wait = self.inner.borrow().pace.wait(performance_now());
            let timer = Timeout::new(wait.ceil() as u32, frame);
            self.inner.borrow_mut().timer = Some(timer);
        }
    }
}
