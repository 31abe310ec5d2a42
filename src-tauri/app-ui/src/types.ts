// The page's types that no generator writes yet (src/generated/app.d.ts names them from here):
// a Tauri channel as the page holds it, and the host crate's evidence log types as the evidence
// commands return them.

/** A channel the host sends one call's messages on (progress, or the live device list). */
export interface Channel<T> {
  onmessage: (message: T) => void;
}

/** One entry this session wrote to the evidence log (the host's `Written`). */
export interface Written {
  seq: number;
  hash: string;
  time: string;
  kind: string;
  method: string | null;
  device_id: string | null;
  status: string | null;
  artifacts: string[];
}

export interface EvidenceStatus {
  path: string;
  public_key: string;
  head: { seq: number; hash: string };
  written: number;
}

/** `evidence_verify`: whether the whole log verifies, and a sentence saying what verified or what is wrong. */
export interface EvidenceCheck {
  ok: boolean;
  message: string;
  verified: { entries: number; head: string; checkpoints: number } | null;
  failure: { line: number; problem: string } | null;
}
