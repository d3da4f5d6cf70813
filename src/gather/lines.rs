//! Reading a server's text lines with a cap on line length, keeping what follows.
//!
//! Mail servers speak in CRLF-terminated lines. A hostile or broken server may send
//! an endless line; the reader refuses to buffer more than `max_line` bytes of one
//! line. Bytes read past the end of a line stay buffered, so that after a STARTTLS
//! go-ahead the caller can see whether the server sent anything it should not have.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The longest line mailtls accepts from a server. RFC 5321 allows 512 bytes for
/// an SMTP reply line; IMAP capability lines of real servers stay well under 4 KiB.
pub const MAX_LINE: usize = 16 * 1024;

/// Why no line could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadLineError {
    #[error("the server closed the connection")]
    Closed,
    #[error("the server sent a line longer than {limit} bytes without ending it")]
    TooLong { limit: usize },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// A stream plus a read buffer, reading one line at a time.
#[derive(Debug)]
pub struct LineReader<S> {
    stream: S,
    buf: Vec<u8>,
    max_line: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> LineReader<S> {
    pub fn new(stream: S) -> Self {
        Self::with_max_line(stream, MAX_LINE)
    }

    pub fn with_max_line(stream: S, max_line: usize) -> Self {
        Self {
            stream,
            buf: Vec::with_capacity(1024),
            max_line,
        }
    }

    /// The next line without its line ending (CRLF or a bare LF). Invalid UTF-8 is
    /// replaced rather than rejected: the text is for diagnosis, and a garbage
    /// greeting is itself a finding.
    pub async fn read_line(&mut self) -> Result<String, ReadLineError> {
        let mut searched = 0;
        loop {
            if let Some(pos) = self.buf[searched..].iter().position(|&b| b == b'\n') {
                let end = searched + pos;
                let line_end = if end > 0 && self.buf[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                if line_end > self.max_line {
                    return Err(ReadLineError::TooLong {
                        limit: self.max_line,
                    });
                }
                let line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                self.buf.drain(..=end);
                return Ok(line);
            }
            searched = self.buf.len();
            // One extra byte leaves room for the CR of a line of exactly max_line bytes.
            if self.buf.len() > self.max_line + 1 {
                return Err(ReadLineError::TooLong {
                    limit: self.max_line,
                });
            }
            // Read into a scratch chunk, not into `buf`: the caller's deadline may
            // cancel this future at the await, and `buf` must then hold only bytes
            // that really arrived (they are reported as leftovers).
            let mut chunk = [0u8; 4096];
            let want = (self.max_line + 2 - self.buf.len()).min(chunk.len());
            let n = self.stream.read(&mut chunk[..want]).await?;
            if n == 0 {
                return Err(ReadLineError::Closed);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    pub async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Bytes received but not yet returned as lines.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// The stream back, and whatever was buffered past the last line.
    pub fn into_parts(self) -> (S, Vec<u8>) {
        (self.stream, self.buf)
    }

    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn reader_over(data: &[u8], max_line: usize) -> LineReader<tokio::io::DuplexStream> {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        server.write_all(data).await.expect("write");
        drop(server);
        LineReader::with_max_line(client, max_line)
    }

    #[tokio::test]
    async fn splits_crlf_and_bare_lf_and_keeps_the_rest() {
        let mut r = reader_over(b"* OK hi\r\nsecond\nthird-no-end", 100).await;
        assert_eq!(r.read_line().await.expect("1"), "* OK hi");
        assert_eq!(r.read_line().await.expect("2"), "second");
        assert_eq!(r.buffered(), b"third-no-end");
        assert!(matches!(r.read_line().await, Err(ReadLineError::Closed)));
        assert_eq!(r.buffered(), b"third-no-end");
    }

    #[tokio::test]
    async fn leftover_after_a_line_is_visible() {
        let mut r = reader_over(b"a2 OK Begin TLS\r\n* OK injected\r\n", 100).await;
        r.read_line().await.expect("line");
        // Both lines arrive in one read; the second must stay visible, not be dropped.
        let (_, rest) = r.into_parts();
        assert_eq!(rest, b"* OK injected\r\n");
    }

    #[tokio::test]
    async fn refuses_an_endless_line() {
        let long = vec![b'A'; 10_000];
        let mut r = reader_over(&long, 100).await;
        assert!(matches!(
            r.read_line().await,
            Err(ReadLineError::TooLong { limit: 100 })
        ));
    }

    #[tokio::test]
    async fn accepts_a_line_of_exactly_the_limit() {
        let mut data = vec![b'B'; 100];
        data.extend_from_slice(b"\r\n");
        let mut r = reader_over(&data, 100).await;
        assert_eq!(r.read_line().await.expect("line").len(), 100);
        let mut data = vec![b'B'; 101];
        data.extend_from_slice(b"\r\n");
        let mut r = reader_over(&data, 100).await;
        assert!(matches!(
            r.read_line().await,
            Err(ReadLineError::TooLong { .. })
        ));
    }

    #[tokio::test]
    async fn garbage_is_replaced_not_rejected() {
        let mut r = reader_over(b"\xff\xfe\x00junk\r\n", 100).await;
        let line = r.read_line().await.expect("line");
        assert!(line.ends_with("junk"), "{line:?}");
    }

    #[tokio::test]
    async fn a_cancelled_read_leaves_only_received_bytes() {
        let (client, mut server) = tokio::io::duplex(1024);
        let mut r = LineReader::new(client);
        // Nothing has arrived: polling once parks the read; dropping it must not
        // leave phantom bytes behind (a silent server would look like a chatty one).
        let pending = futures_poll_once(r.read_line()).await;
        assert!(pending, "the read must wait for data");
        assert!(r.buffered().is_empty(), "{:?}", r.buffered());
        server.write_all(b"partial").await.expect("write");
        assert!(futures_poll_once(r.read_line()).await);
        assert_eq!(r.buffered(), b"partial");
    }

    /// Polls a future once; true when it is still pending (and then drops it).
    async fn futures_poll_once<F: std::future::Future>(f: F) -> bool {
        let mut f = std::pin::pin!(f);
        std::future::poll_fn(|cx| std::task::Poll::Ready(f.as_mut().poll(cx).is_pending())).await
    }
}
