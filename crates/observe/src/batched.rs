//! A line writer for a busy server: the request path queues each line without waiting for
//! IO or waking anyone, and a background thread writes every line waiting, in one write,
//! every few milliseconds.
//!
//! `tracing-appender`'s non-blocking writer wakes its thread for every line; at thousands
//! of lines a second those wake-ups (and the thread's spinning before it sleeps again) cost
//! more CPU than the writing (measured: a quarter of Portico's CPU time, BENCHMARKS.md).
//! Lines are never dropped: when the queue is full, the writer waits for room.

use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the waiting lines are written.
const EVERY: Duration = Duration::from_millis(20);
/// The most lines waiting; beyond, writers wait for room.
const WAITING: usize = 65_536;

/// Queues lines for the background thread; cheap to clone, one clone per writer.
#[derive(Clone)]
pub struct Batched {
    lines: SyncSender<Vec<u8>>,
}

/// Stops the background thread when dropped, after it has written every line queued.
pub struct Flusher {
    stop: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// A writer to `out` through a background thread named `name`.
pub fn batched<W: Write + Send + 'static>(
    out: W,
    name: &str,
) -> std::io::Result<(Batched, Flusher)> {
    let (lines, waiting) = sync_channel(WAITING);
    let (stop, stopped) = sync_channel(1);
    let thread = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || write_every(out, &waiting, &stopped))?;
    Ok((
        Batched { lines },
        Flusher {
            stop: Some(stop),
            thread: Some(thread),
        },
    ))
}

/// Writes what is waiting every [`EVERY`], until told to stop (or the flusher is gone).
fn write_every<W: Write>(out: W, waiting: &Receiver<Vec<u8>>, stopped: &Receiver<()>) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    loop {
        let stop = !matches!(stopped.recv_timeout(EVERY), Err(RecvTimeoutError::Timeout));
        while let Ok(line) = waiting.try_recv() {
            let _ = out.write_all(&line);
        }
        let _ = out.flush();
        if stop {
            return;
        }
    }
}

impl Write for Batched {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lines
            .send(buf.to_vec())
            .map_err(|_| std::io::Error::other("the log writer has stopped"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A `Write` whose bytes and write calls the test can read.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Seen {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut seen = self.0.lock().unwrap();
            seen.0.extend_from_slice(buf);
            seen.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_and_together() {
        let seen = Seen::default();
        let (writer, flusher) = batched(seen.clone(), "test-log").unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..1000 {
                        writer.write_all(format!("{t} {i}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(flusher);
        let (bytes, writes) = seen.0.lock().unwrap().clone();
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4000, "none lost");
        for t in 0..4 {
            let own: Vec<&str> = lines
                .iter()
                .filter(|l| l.starts_with(&format!("{t} ")))
                .copied()
                .collect();
            let expected: Vec<String> = (0..1000).map(|i| format!("{t} {i}")).collect();
            assert_eq!(own, expected, "each writer's lines in its order");
        }
        assert!(writes < 4000, "lines written together: {writes} writes");
    }

    #[test]
    fn a_stopped_writer_says_so() {
        let (mut writer, flusher) = batched(Seen::default(), "test-log").unwrap();
        drop(flusher);
        // The thread is gone with its receiver: a write is an error, not a hang.
        let error = writer.write_all(b"late\n").unwrap_err();
        assert_eq!(error.to_string(), "the log writer has stopped");
    }
}
