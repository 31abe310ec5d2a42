//! The evidence log: its file (reopening, crashes, concurrency), the chain under every kind of
//! damage (property tests), the `sidecar-host` command line, an independent Python verifier, and
//! calls through the real sidecar to emulated phones.

mod chain;
mod cli;
mod common;
mod file;
mod outcomes;
mod python;
mod sidecar;
