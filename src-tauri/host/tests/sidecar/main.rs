//! The host against the real Python sidecar (and a fake one for misbehaviour it never shows).
//! Every test spawns its own processes; none is left running afterwards.

mod calls;
mod common;
mod handshake;
mod launch;
mod misbehaving;
mod supervision;
mod watch;
