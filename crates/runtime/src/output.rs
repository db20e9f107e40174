//! Reading what a function prints, line by line, whatever it prints: bytes that are not
//! UTF-8 are replaced rather than ending the read (closing the pipe would break the
//! function's next write), and a line longer than [`MAX_LINE`] is split.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// The longest line kept whole; longer output is logged in pieces of this size.
pub(crate) const MAX_LINE: usize = 256 * 1024;

pub(crate) struct Lines<R> {
    reader: Option<BufReader<R>>,
    partial: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    pub fn new(reader: Option<R>) -> Lines<R> {
        Lines {
            reader: reader.map(BufReader::new),
            partial: Vec::new(),
        }
    }

    /// The next line, without its newline; `None` once the pipe is closed and read.
    ///
    /// Cancel-safe: bytes taken from the pipe are kept in `self` until a line is complete.
    pub async fn next(&mut self) -> Option<String> {
        loop {
            let reader = self.reader.as_mut()?;
            let buf = match reader.fill_buf().await {
                Ok(buf) if !buf.is_empty() => buf,
                Ok(_) | Err(_) => {
                    self.reader = None;
                    return (!self.partial.is_empty()).then(|| self.take_line());
                }
            };
            let room = MAX_LINE - self.partial.len();
            match buf.iter().take(room).position(|&b| b == b'\n') {
                Some(end) => {
                    self.partial.extend_from_slice(&buf[..end]);
                    reader.consume(end + 1);
                    return Some(self.take_line());
                }
                None => {
                    let taken = buf.len().min(room);
                    self.partial.extend_from_slice(&buf[..taken]);
                    reader.consume(taken);
                    if self.partial.len() >= MAX_LINE {
                        return Some(self.take_line());
                    }
                }
            }
        }
    }

    fn take_line(&mut self) -> String {
        if self.partial.last() == Some(&b'\r') {
            self.partial.pop();
        }
        let line = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8]) -> Vec<String> {
        let mut reader = Lines::new(Some(input));
        let mut out = Vec::new();
        while let Some(line) = reader.next().await {
            out.push(line);
        }
        out
    }

    #[tokio::test]
    async fn reads_any_bytes_as_lines() {
        assert_eq!(lines(b"a\nb\r\nc").await, ["a", "b", "c"]);
        assert_eq!(
            lines(b"ok \xff\xfe end\nnext\n").await,
            ["ok \u{fffd}\u{fffd} end", "next"]
        );
        assert_eq!(lines(b"").await, Vec::<String>::new());
        let long = vec![b'x'; MAX_LINE + 10];
        let got = lines(&long).await;
        assert_eq!(
            got.iter().map(String::len).collect::<Vec<_>>(),
            [MAX_LINE, 10]
        );
    }
}
