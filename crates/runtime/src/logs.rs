//! An instance's log as Lambda keeps it: the function's lines between START and REPORT,
//! and the tail of it that `X-Amz-Log-Type: Tail` returns.

use std::time::Duration;

/// The most log text kept per instance; the tail returned is at most the limits' `log_tail`.
const KEEP: usize = 64 * 1024;

/// The log of the current invocation, bounded.
#[derive(Debug, Default)]
pub(crate) struct LogTail {
    text: String,
}

impl LogTail {
    pub fn push(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        if self.text.len() > 2 * KEEP {
            let mut cut = self.text.len() - KEEP;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            self.text.drain(..cut);
        }
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// The last `max` bytes (on a character boundary).
    pub fn tail(&self, max: usize) -> String {
        let mut start = self.text.len().saturating_sub(max);
        while !self.text.is_char_boundary(start) {
            start += 1;
        }
        self.text[start..].to_string()
    }
}

/// `REPORT RequestId: …\tDuration: 2.35 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 38 MB\tInit Duration: 120.50 ms\t`
pub(crate) fn report_line(
    request_id: &str,
    duration: Duration,
    memory_mb: u32,
    max_used_mb: Option<u64>,
    init: Option<Duration>,
) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    let billed = (ms.ceil() as u64).max(1);
    let mut line = format!(
        "REPORT RequestId: {request_id}\tDuration: {ms:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {memory_mb} MB\tMax Memory Used: {} MB\t",
        max_used_mb.unwrap_or(0)
    );
    if let Some(init) = init {
        line.push_str(&format!(
            "Init Duration: {:.2} ms\t",
            init.as_secs_f64() * 1000.0
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_reads_like_lambdas() {
        let line = report_line(
            "id-1",
            Duration::from_micros(2350),
            128,
            Some(38),
            Some(Duration::from_micros(120_500)),
        );
        assert_eq!(
            line,
            "REPORT RequestId: id-1\tDuration: 2.35 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 38 MB\tInit Duration: 120.50 ms\t"
        );
    }

    #[test]
    fn the_tail_is_bounded_and_whole_characters() {
        let mut log = LogTail::default();
        for _ in 0..10_000 {
            log.push("héllo wörld");
        }
        assert!(log.text.len() <= 2 * KEEP + 20);
        let tail = log.tail(4096);
        assert!(tail.len() <= 4096);
        assert!(tail.ends_with("wörld\n"));
    }
}
