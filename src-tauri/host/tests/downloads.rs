//! The durable download queue with the real sidecar (`python -I -m sidecar` from the repo's
//! .venv) and a local HTTP server that takes Range requests. A download survives the sidecar's
//! crash (killed outright mid-download; the supervisor restarts it and the queue submits the job
//! again) and the app's (the supervisor and the queue dropped mid-download, as a killed app
//! leaves them, then made again from the same journal, as the next start does). Both end with the
//! whole file, byte for byte, its rest fetched with a Range request from where the partial file
//! ended, and nothing else left in the downloads folder.

#![cfg(target_os = "linux")]

#[allow(dead_code)]
#[path = "sidecar/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sidecar_host::jobs::{DownloadQueue, JobState, Observer};
use sidecar_host::types::{DownloadStartParams, ProgressValueKind};
use sidecar_host::{State, Supervisor};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Condvar;

use tokio::task::JoinHandle;

use common::eventually;

const SIZE: usize = 4 << 20;
/// What the server sends of a response before it waits to be released.
const BEFORE_PAUSE: usize = 512 << 10;
const WAIT: Duration = Duration::from_secs(60);

/// Serves one file at `/film.mp4`: GET with or without `Range: bytes=N-`. Until released, each
/// response pauses after its first [`BEFORE_PAUSE`] bytes, so a download is caught half-way.
/// Threads of its own (std), so that it serves whatever the test's runtime is doing.
struct MediaServer {
    url: String,
    ranges: Arc<Mutex<Vec<Option<String>>>>,
    released: Arc<(Mutex<bool>, Condvar)>,
}

impl MediaServer {
    fn start(body: Arc<Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}/film.mp4", listener.local_addr().expect("its address"));
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let released = Arc::new((Mutex::new(false), Condvar::new()));
        let (seen, release) = (Arc::clone(&ranges), Arc::clone(&released));
        // Ends with the test binary; a connection that the client drops ends its thread.
        std::thread::spawn(move || {
            for connection in listener.incoming().flatten() {
                let (body, seen, release) = (Arc::clone(&body), Arc::clone(&seen), Arc::clone(&release));
                std::thread::spawn(move || respond(connection, &body, &seen, &release));
            }
        });
        Self { url, ranges, released }
    }

    fn release(&self) {
        let (released, wake) = &*self.released;
        *released.lock().unwrap() = true;
        wake.notify_all();
    }

    fn ranges(&self) -> Vec<Option<String>> {
        self.ranges.lock().unwrap().clone()
    }
}

fn respond(connection: TcpStream, body: &[u8], seen: &Mutex<Vec<Option<String>>>, release: &(Mutex<bool>, Condvar)) {
    let Ok(reader) = connection.try_clone() else { return };
    let mut writer = connection;
    let mut range = None;
    let mut head = false;
    for (number, line) in BufReader::new(reader).lines().enumerate() {
        let Ok(line) = line else { return };
        if line.is_empty() {
            break;
        }
        if number == 0 {
            head = line.starts_with("HEAD ");
        } else if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_owned());
        }
    }
    seen.lock().unwrap().push(range.clone());
    let start = range.as_deref().map_or(0, |r| usize::try_from(range_start(r)).expect("a small offset"));
    let status = if range.is_some() {
        format!("206 Partial Content\r\nContent-Range: bytes {start}-{}/{}", body.len() - 1, body.len())
    } else {
        "200 OK".to_owned()
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: video/mp4\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n",
        body.len() - start
    );
    if writer.write_all(header.as_bytes()).is_err() || head {
        return;
    }
    let rest = &body[start..];
    let pause = BEFORE_PAUSE.min(rest.len());
    if writer.write_all(&rest[..pause]).is_err() {
        return;
    }
    let (released, wake) = release;
    let guard = released.lock().unwrap();
    drop(wake.wait_while(guard, |released| !*released).unwrap());
    let _ = writer.write_all(&rest[pause..]);
}

/// Reproducible bytes that are not all alike (xorshift).
fn film() -> Arc<Vec<u8>> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    Arc::new(
        (0..SIZE)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect(),
    )
}

/// A fresh folder with the policy's roots (the sidecar never creates a root itself).
fn scratch(name: &str) -> PathBuf {
    let root = common::scratch(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("downloads")).expect("the downloads root");
    root
}

/// The keys and kinds of the progress values the queue passed on.
type Seen = Arc<Mutex<Vec<(String, ProgressValueKind)>>>;

fn observer() -> (Observer, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = Arc::clone(&seen);
    (
        Arc::new(move |key: &str, value: &sidecar_host::types::ProgressValue| {
            into.lock().unwrap().push((key.to_owned(), value.kind))
        }),
        seen,
    )
}

fn params(url: &str) -> DownloadStartParams {
    serde_json::from_value(serde_json::json!({"url": url, "filename_template": "%(id)s.%(ext)s"}))
        .expect("valid params")
}

/// The queue resubmitting whenever `supervisor`'s sidecar is (again) running, as the app runs it.
fn resumer(queue: &DownloadQueue, supervisor: &Arc<Supervisor>) -> JoinHandle<()> {
    let (queue, supervisor) = (queue.clone(), Arc::clone(supervisor));
    tokio::spawn(async move {
        let states = supervisor.watch();
        queue.resume_whenever_running(states, || supervisor.client()).await;
    })
}

/// The partial file of job `key`, once it holds some bytes.
async fn partial_file(downloads: &Path, key: &str) -> PathBuf {
    let staging = downloads.join(format!(".sidecar-download-{key}"));
    let mut found = None;
    let held = eventually(WAIT, || {
        found = std::fs::read_dir(&staging).ok().and_then(|entries| {
            entries.flatten().map(|e| e.path()).find(|p| {
                p.extension().is_some_and(|ext| ext == "part") && std::fs::metadata(p).is_ok_and(|m| m.len() > 0)
            })
        });
        let done = found.is_some();
        async move { done }
    })
    .await;
    assert!(held, "no partial file in {}", staging.display());
    found.expect("found")
}

async fn finished(queue: &DownloadQueue, key: &str) -> sidecar_host::jobs::JobRecord {
    let ended = eventually(WAIT, || {
        let done = queue.records().iter().any(|r| r.key == key && !r.state.unfinished());
        async move { done }
    })
    .await;
    assert!(ended, "the download did not end: {:?}", queue.records());
    queue.records().into_iter().find(|r| r.key == key).expect("its record")
}

/// Everything under the downloads root but the finished file.
fn leftovers(downloads: &Path, finished: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![downloads.to_owned()];
    while let Some(folder) = todo.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path.clone());
            }
            if path != finished {
                found.push(path);
            }
        }
    }
    found
}

fn range_start(range: &str) -> u64 {
    range.strip_prefix("bytes=").and_then(|r| r.strip_suffix('-')).and_then(|n| n.parse().ok()).expect("bytes=N-")
}

async fn running_after(supervisor: &Supervisor, restarts: u32) -> u32 {
    let mut states = supervisor.watch();
    let state = tokio::time::timeout(
        WAIT,
        states.wait_for(|s| matches!(s, State::Running { restarts: r, .. } if *r >= restarts)),
    )
    .await
    .expect("running again in time")
    .expect("the supervisor lives")
    .clone();
    match state {
        State::Running { pid, .. } => pid,
        other => unreachable!("{other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_survives_a_sidecar_crash_and_ends_whole_after_the_restart() {
    common::init_tracing();
    let root = scratch("queue-crash");
    let downloads = root.join("downloads");
    let body = film();
    let server = MediaServer::start(Arc::clone(&body));
    let (observer, seen) = observer();
    let queue = DownloadQueue::open(&root.join("downloads.jsonl"), &downloads, observer).expect("the journal");
    let supervisor =
        Arc::new(Supervisor::start(common::sidecar(), common::gate(common::policy(&root))).await.expect("start"));
    let resuming = resumer(&queue, &supervisor);

    let key =
        queue.submit(&supervisor.client().expect("running"), params(&server.url)).await.expect("submitted").job_id;
    let kept = partial_file(&downloads, &key).await;
    let pid = running_after(&supervisor, 0).await;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL)
        .expect("kill the sidecar");
    running_after(&supervisor, 1).await;
    let kept = std::fs::metadata(&kept).map(|m| m.len()).unwrap_or(0);
    server.release();

    let record = finished(&queue, &key).await;
    assert_eq!(record.state, JobState::Finished, "{record:?}");
    assert_eq!(record.submissions, 2);
    let path = PathBuf::from(record.path.expect("the final path"));
    assert_eq!(path, downloads.join("film.mp4"));
    assert!(std::fs::read(&path).expect("the file") == *body, "the file differs from the served one");
    let resumed = server.ranges().into_iter().flatten().map(|r| range_start(&r)).max().expect("a Range request");
    assert!(resumed > 0 && resumed >= kept, "resumed from {resumed}, the partial file held {kept}");
    assert_eq!(leftovers(&downloads, &path), Vec::<PathBuf>::new());
    assert!(seen.lock().unwrap().iter().any(|(k, kind)| k == &key && *kind == ProgressValueKind::End));

    resuming.abort();
    let _ = resuming.await;
    Arc::into_inner(supervisor).expect("the only owner").stop().await;
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_survives_the_app_being_killed_and_ends_whole_at_the_next_start() {
    app_restart(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_survives_the_app_closing_and_ends_whole_at_the_next_start() {
    app_restart(true).await;
}

/// The app closes (`graceful`: it stops the sidecar, which ends the job `interrupted` and keeps
/// its partial file) or is killed mid-download; the next start resumes the job.
async fn app_restart(graceful: bool) {
    common::init_tracing();
    let root = scratch(if graceful { "queue-app-closed" } else { "queue-app-killed" });
    let downloads = root.join("downloads");
    let journal = root.join("downloads.jsonl");
    let body = film();
    let server = MediaServer::start(Arc::clone(&body));

    let key = {
        let (observer, _) = observer();
        let queue = DownloadQueue::open(&journal, &downloads, observer).expect("the journal");
        let supervisor =
            Arc::new(Supervisor::start(common::sidecar(), common::gate(common::policy(&root))).await.expect("start"));
        let resuming = resumer(&queue, &supervisor);
        let key =
            queue.submit(&supervisor.client().expect("running"), params(&server.url)).await.expect("submitted").job_id;
        partial_file(&downloads, &key).await;
        resuming.abort();
        let _ = resuming.await;
        let supervisor = Arc::into_inner(supervisor).expect("the only owner");
        if graceful {
            supervisor.stop().await;
            let ended = eventually(WAIT, || {
                let interrupted = queue.records().iter().any(|r| r.state == JobState::Interrupted);
                async move { interrupted }
            })
            .await;
            assert!(ended, "the sidecar's stop ends the job interrupted: {:?}", queue.records());
        } else {
            // As a killed app leaves them: no stop, no shutdown; dropping the supervisor kills all
            // the sidecar started (its group, and the workers that left it) on the spot.
            drop(supervisor);
        }
        key
    };
    let kept = std::fs::read_dir(downloads.join(format!(".sidecar-download-{key}")))
        .expect("the staging folder is kept")
        .flatten()
        .map(|e| std::fs::metadata(e.path()).map(|m| m.len()).unwrap_or(0))
        .max()
        .unwrap_or(0);
    assert!(kept > 0);

    // The next start: the same journal, a new sidecar.
    let (observer, _) = observer();
    let queue = DownloadQueue::open(&journal, &downloads, observer).expect("the journal again");
    let [record] = queue.records().try_into().expect("one job");
    let expected = if graceful { JobState::Interrupted } else { JobState::Running };
    assert_eq!((record.key.as_str(), record.state), (key.as_str(), expected), "{record:?}");
    let supervisor =
        Arc::new(Supervisor::start(common::sidecar(), common::gate(common::policy(&root))).await.expect("start again"));
    let resuming = resumer(&queue, &supervisor);
    server.release();

    let record = finished(&queue, &key).await;
    assert_eq!((record.state, record.submissions), (JobState::Finished, 2), "{record:?}");
    let path = PathBuf::from(record.path.expect("the final path"));
    assert!(std::fs::read(&path).expect("the file") == *body, "the file differs from the served one");
    let resumed = server.ranges().into_iter().flatten().map(|r| range_start(&r)).max().expect("a Range request");
    assert!(resumed > 0 && resumed >= kept, "resumed from {resumed}, the partial file held {kept}");
    assert_eq!(leftovers(&downloads, &path), Vec::<PathBuf>::new());

    resuming.abort();
    let _ = resuming.await;
    Arc::into_inner(supervisor).expect("the only owner").stop().await;
    let _ = std::fs::remove_dir_all(&root);
}
