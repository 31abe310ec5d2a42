//! Frames on the child's pipes: a 4-byte big-endian length, then that many bytes of JSON.
//!
//! This is tokio-util's `LengthDelimitedCodec` default layout and the sidecar's default
//! `--framing length`. Both directions refuse frames above one limit, which the host also
//! passes to the sidecar (`--max-frame-bytes`) so the two ends agree.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

/// The sidecar's default `--max-frame-bytes` (16 MiB).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

pub type FrameReader<R> = FramedRead<R, LengthDelimitedCodec>;
pub type FrameWriter<W> = FramedWrite<W, LengthDelimitedCodec>;

fn codec(max_frame_bytes: usize) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder().length_field_length(4).big_endian().max_frame_length(max_frame_bytes).new_codec()
}

/// Frames read from the sidecar's stdout; a frame above the limit ends the stream with an error.
pub fn reader<R: AsyncRead>(stdout: R, max_frame_bytes: usize) -> FrameReader<R> {
    FramedRead::new(stdout, codec(max_frame_bytes))
}

/// Frames written to the sidecar's stdin.
pub fn writer<W: AsyncWrite>(stdin: W, max_frame_bytes: usize) -> FrameWriter<W> {
    FramedWrite::new(stdin, codec(max_frame_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{SinkExt, StreamExt};

    #[tokio::test]
    async fn frames_are_length_prefixed_big_endian() {
        let (a, b) = tokio::io::duplex(64);
        let mut w = writer(a, 1024);
        w.send(bytes::Bytes::from_static(b"{}")).await.unwrap();
        drop(w);
        let mut raw = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut { b }, &mut raw).await.unwrap();
        assert_eq!(raw, b"\x00\x00\x00\x02{}");
    }

    #[tokio::test]
    async fn an_oversized_frame_is_an_error() {
        let (a, b) = tokio::io::duplex(64);
        let mut r = reader(b, 4);
        tokio::io::AsyncWriteExt::write_all(&mut { a }, b"\x00\x00\x00\x05hello").await.unwrap();
        assert!(r.next().await.unwrap().is_err());
    }
}
