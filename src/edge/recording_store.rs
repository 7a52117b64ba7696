//! The running recording kept in the browser's IndexedDB, so that it survives a reload or
//! a crash: the page offers to reopen the last one (`recording-restore`).
//!
//! Design: one database, two stores. `lines` holds each recorded event's JSON under the key
//! `[run, seq]` (a run is one page load; a save's lines go in records of about 128 KB, each
//! keyed by its last seq); `runs` holds one record per run: when it was last
//! written, how many events it holds, and its metadata JSON (settings without secrets,
//! session snapshots, findings). Lines are appended as they come and deleted from the front
//! as the page's recorder evicts its oldest, so the store holds what the page holds, within
//! the same bound. A few earlier runs are kept; older ones are deleted at start.
//! Nothing secret is stored: events carry the CONNECT with its password masked, and the
//! settings are the export's (no secrets).

use super::js_error::js_text;
use crate::view::recording::Line;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use std::io::Write;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbKeyRange, IdbObjectStoreParameters, IdbRequest, IdbTransaction,
    IdbTransactionMode,
};

const DB: &str = "ackscope-recordings";
const LINES: &str = "lines";
const RUNS: &str = "runs";
/// Earlier runs kept besides the current one (another tab may be writing one of them).
const KEEP_RUNS: usize = 3;
/// A record of lines is closed past this many bytes (see [`Store::save`]).
const RECORD_BYTES: usize = 128 * 1024;

/// The result of an IndexedDB request, once it is there.
async fn done(req: &IdbRequest) -> Result<JsValue, String> {
    let r = req.clone();
    let promise = Promise::new(&mut |resolve, reject| {
        let r2 = r.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &r2.result().unwrap_or(JsValue::UNDEFINED));
        });
        let r3 = r.clone();
        let bad = Closure::once_into_js(move || {
            let why = r3
                .error()
                .ok()
                .flatten()
                .map(|e| e.message())
                .unwrap_or_else(|| "request failed".into());
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&why));
        });
        r.set_onsuccess(Some(ok.unchecked_ref()));
        r.set_onerror(Some(bad.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(js_text)
}

/// Waits for a transaction to commit.
async fn committed(tx: &IdbTransaction) -> Result<(), String> {
    let t = tx.clone();
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let reject2 = reject.clone();
        let bad = Closure::once_into_js(move || {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("the write failed"));
        });
        let aborted = Closure::once_into_js(move || {
            let _ = reject2.call1(
                &JsValue::NULL,
                &JsValue::from_str("the write was aborted (storage full?)"),
            );
        });
        t.set_oncomplete(Some(ok.unchecked_ref()));
        t.set_onerror(Some(bad.unchecked_ref()));
        t.set_onabort(Some(aborted.unchecked_ref()));
    });
    JsFuture::from(promise).await.map(|_| ()).map_err(js_text)
}

fn key(run: f64, seq: f64) -> JsValue {
    Array::of2(&run.into(), &seq.into()).into()
}

fn set(o: &Object, k: &str, v: &JsValue) -> Result<(), String> {
    Reflect::set(o, &k.into(), v).map(|_| ()).map_err(js_text)
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &k.into()).unwrap_or(JsValue::UNDEFINED)
}

/// One earlier page's recording, as the store holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRun {
    pub run: f64,
    pub updated_at: f64,
    pub events: f64,
    pub meta: String,
}

/// The open database.
#[derive(Clone)]
pub struct Store {
    db: IdbDatabase,
}

impl Store {
    /// Opens (or creates) the database; an error when the browser has no IndexedDB here
    /// (private windows of some browsers, disabled storage).
    pub async fn open() -> Result<Store, String> {
        let factory = web_sys::window()
            .ok_or("no window")?
            .indexed_db()
            .map_err(js_text)?
            .ok_or("IndexedDB is not available")?;
        let req = factory.open_with_u32(DB, 1).map_err(js_text)?;
        let r = req.clone();
        let upgrade = Closure::<dyn FnMut()>::new(move || {
            let Some(db) = r
                .result()
                .ok()
                .and_then(|d| d.dyn_into::<IdbDatabase>().ok())
            else {
                return;
            };
            let names = db.object_store_names();
            if !names.contains(LINES) {
                let p = IdbObjectStoreParameters::new();
                p.set_key_path(&Array::of2(&"run".into(), &"seq".into()));
                let _ = db.create_object_store_with_optional_parameters(LINES, &p);
            }
            if !names.contains(RUNS) {
                let p = IdbObjectStoreParameters::new();
                p.set_key_path(&"run".into());
                let _ = db.create_object_store_with_optional_parameters(RUNS, &p);
            }
        });
        req.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let db = done(&req).await;
        req.set_onupgradeneeded(None);
        drop(upgrade);
        let db: IdbDatabase = db?
            .dyn_into()
            .map_err(|_| "IndexedDB gave no database".to_string())?;
        Ok(Store { db })
    }

    fn tx(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, String> {
        self.db
            .transaction_with_str_sequence_and_mode(&Array::of2(&LINES.into(), &RUNS.into()), mode)
            .map_err(js_text)
    }

    /// Earlier runs with events, the latest first; all but the last few (and `current`)
    /// are deleted on the way.
    pub async fn earlier_runs(&self, current: f64) -> Result<Vec<StoredRun>, String> {
        let tx = self.tx(IdbTransactionMode::Readonly)?;
        let all = done(
            &tx.object_store(RUNS)
                .map_err(js_text)?
                .get_all()
                .map_err(js_text)?,
        )
        .await?;
        let mut runs: Vec<StoredRun> = Array::from(&all)
            .iter()
            .map(|v| StoredRun {
                run: get(&v, "run").as_f64().unwrap_or(0.0),
                updated_at: get(&v, "updatedAt").as_f64().unwrap_or(0.0),
                events: get(&v, "events").as_f64().unwrap_or(0.0),
                meta: get(&v, "meta").as_string().unwrap_or_default(),
            })
            .filter(|r| r.run != current)
            .collect();
        runs.sort_by(|a, b| b.updated_at.total_cmp(&a.updated_at));
        for old in runs.iter().skip(KEEP_RUNS) {
            self.delete_run(old.run).await?;
        }
        runs.truncate(KEEP_RUNS);
        runs.retain(|r| r.events > 0.0);
        Ok(runs)
    }

    /// Deletes a run and its lines.
    pub async fn delete_run(&self, run: f64) -> Result<(), String> {
        let tx = self.tx(IdbTransactionMode::Readwrite)?;
        let range = IdbKeyRange::bound(&key(run, 0.0), &key(run, f64::MAX)).map_err(js_text)?;
        tx.object_store(LINES)
            .map_err(js_text)?
            .delete(&range)
            .map_err(js_text)?;
        tx.object_store(RUNS)
            .map_err(js_text)?
            .delete(&run.into())
            .map_err(js_text)?;
        committed(&tx).await
    }

    /// Appends `lines`, deletes those below `first_kept`, and writes the run's record, in
    /// one transaction. The requests are made before this returns (the future only waits for
    /// the commit): a page that is being hidden or closed may get no later turn to make them.
    pub fn save(
        &self,
        run: f64,
        meta: &str,
        events: usize,
        lines: &[Line],
        first_kept: u64,
        now: f64,
    ) -> impl std::future::Future<Output = Result<(), String>> {
        let tx = self.write(run, meta, events, lines, first_kept, now);
        async move { committed(&tx?).await }
    }

    fn write(
        &self,
        run: f64,
        meta: &str,
        events: usize,
        lines: &[Line],
        first_kept: u64,
        now: f64,
    ) -> Result<IdbTransaction, String> {
        let tx = self.tx(IdbTransactionMode::Readwrite)?;
        let store = tx.object_store(LINES).map_err(js_text)?;
        if first_kept > 1 {
            let range = IdbKeyRange::bound_with_lower_open_and_upper_open(
                &key(run, 0.0),
                &key(run, first_kept as f64),
                false,
                true,
            )
            .map_err(js_text)?;
            store.delete(&range).map_err(js_text)?;
        }
        // Records of at most `RECORD_BYTES`, each keyed by its last seq: a put per event
        // halved the page's drain speed and made 800 ms frames (measured with tests/bench),
        // and Chromium's put costs 2 to 8 ms per MB past a few hundred KB, against about
        // 1 ms per MB below (measured here). Lines are `device \t json` joined by newlines
        // (serde_json escapes both inside strings), kept as UTF-8 bytes: a string would be
        // decoded into JavaScript's UTF-16 on the way.
        let mut batch: Vec<u8> = Vec::with_capacity(RECORD_BYTES + 4096);
        let kept: Vec<&Line> = lines.iter().filter(|l| l.seq >= first_kept).collect();
        for (i, l) in kept.iter().enumerate() {
            // Into the Vec: cannot fail.
            let _ = write!(batch, "{}\t", l.device);
            batch.extend_from_slice(l.json.as_bytes());
            batch.push(b'\n');
            if batch.len() >= RECORD_BYTES || i + 1 == kept.len() {
                let o = Object::new();
                set(&o, "run", &run.into())?;
                set(&o, "seq", &(l.seq as f64).into())?;
                set(&o, "batch", &Uint8Array::from(batch.as_slice()).into())?;
                store.put(&o).map_err(js_text)?;
                batch.clear();
            }
        }
        let r = Object::new();
        set(&r, "run", &run.into())?;
        set(&r, "updatedAt", &now.into())?;
        set(&r, "events", &(events as f64).into())?;
        set(&r, "meta", &JsValue::from_str(meta))?;
        tx.object_store(RUNS)
            .map_err(js_text)?
            .put(&r)
            .map_err(js_text)?;
        // Commit now rather than when the page next idles: at pagehide there may be no next.
        // (web-sys marks `commit` deprecated; a browser without it throws, caught here, and
        // the transaction then commits on its own.)
        #[allow(deprecated)]
        let _ = tx.commit();
        Ok(tx)
    }

    /// A run's lines, in order: (device id, event JSON).
    pub async fn lines(&self, run: f64) -> Result<Vec<(u32, String)>, String> {
        let tx = self.tx(IdbTransactionMode::Readonly)?;
        let range = IdbKeyRange::bound(&key(run, 0.0), &key(run, f64::MAX)).map_err(js_text)?;
        let all = done(
            &tx.object_store(LINES)
                .map_err(js_text)?
                .get_all_with_key(&range)
                .map_err(js_text)?,
        )
        .await?;
        let mut out = Vec::new();
        for v in Array::from(&all).iter() {
            let batch = get(&v, "batch");
            // UTF-8 bytes; stores written by earlier pages hold a string.
            let batch = match batch.dyn_ref::<Uint8Array>() {
                Some(bytes) => Some(
                    String::from_utf8(bytes.to_vec())
                        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                ),
                None => batch.as_string(),
            };
            if let Some(batch) = batch {
                out.extend(batch.lines().filter_map(|line| {
                    let (device, json) = line.split_once('\t')?;
                    Some((device.parse().ok()?, json.to_string()))
                }));
            } else if let (Some(device), Some(json)) =
                (get(&v, "device").as_f64(), get(&v, "json").as_string())
            {
                // A line stored one per record by an earlier version of the page.
                out.push((device as u32, json));
            }
        }
        Ok(out)
    }
}
