//! An instance's memory, read from `/proc/<pid>/status`: the watchdog's samples of resident
//! memory (`VmRSS`) and the peak (`VmHWM`) reported as `Max Memory Used`.
//!
//! Reading the file costs tens of microseconds, so the request path avoids it: the watchdog
//! first looks after an invocation has run [`CHECK_EVERY`], and the peak is read again at
//! most once per [`PEAK_FRESH`].

use std::time::{Duration, Instant};

/// How often a running invocation's memory is checked against the function's `memory`.
pub(crate) const CHECK_EVERY: Duration = Duration::from_millis(100);

/// How old the peak in a `REPORT` line may be.
const PEAK_FRESH: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(crate) struct Memory {
    pid: Option<u32>,
    peak_kb: Option<u64>,
    read_at: Option<Instant>,
}

impl Memory {
    pub fn new(pid: Option<u32>) -> Memory {
        Memory {
            pid,
            peak_kb: None,
            read_at: None,
        }
    }

    /// Resident memory now, in kB (the peak is refreshed too).
    pub fn resident_kb(&mut self) -> Option<u64> {
        let (rss, hwm) = read(self.pid?)?;
        self.peak_kb = Some(hwm);
        self.read_at = Some(Instant::now());
        Some(rss)
    }

    /// The peak resident memory in MB, at most [`PEAK_FRESH`] old.
    pub fn peak_mb(&mut self) -> Option<u64> {
        if self.read_at.is_none_or(|at| at.elapsed() > PEAK_FRESH) {
            self.resident_kb();
        }
        self.peak_kb.map(|kb| kb.div_ceil(1024))
    }
}

/// `VmRSS` and `VmHWM` of `pid`, in kB.
fn read(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let mut memory = Memory::new(Some(std::process::id()));
        let rss = memory.resident_kb().unwrap();
        assert!(rss > 0);
        assert!(memory.peak_mb().unwrap() * 1024 >= rss);
        assert_eq!(Memory::new(None).peak_mb(), None);
    }
}
