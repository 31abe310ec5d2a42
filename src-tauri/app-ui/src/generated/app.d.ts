/* Generated from the app's Rust code by src-tauri/app/src/bindings.rs. Do not edit: change the
 * Rust code, then run `npm run gen-app-types`. */

import type { Channel, Progress } from "../types.js";
import type { DevicesListParams, DevicesListResult, DevicesWatchReport, DownloadCancelParams, DownloadJob, DownloadListResult, DownloadProbeParams, DownloadProbeResult, DownloadStartParams, DownloadStartProgress, DownloadStartResult, HealthResult, InspectBasicResult, InspectDeepResult, InspectParams, LogsCollectParams, LogsCollectProgress, LogsCollectResult, ReportFormatParams, ReportFormatResult } from "./sidecar.js";

/** Each command of the `sidecar` plugin: the arguments the page passes, and its result. */
export interface Commands {
  sidecar_status: { args: Record<string, never>; result: Status };
  app_setup: { args: Record<string, never>; result: Setup | null };
  health: { args: Record<string, never>; result: HealthResult };
  devices_list: { args: { params: DevicesListParams }; result: DevicesListResult };
  devices_watch: { args: { params: DevicesListParams; onDevices: Channel<DevicesEvent> }; result: null };
  devices_unwatch: { args: Record<string, never>; result: null };
  inspect_basic: { args: { params: InspectParams }; result: InspectBasicResult };
  inspect_deep: { args: { params: InspectParams }; result: InspectDeepResult };
  logs_collect: { args: { params: LogsCollectParams; onProgress: Channel<Progress<LogsCollectProgress>> }; result: LogsCollectResult };
  report_format: { args: { params: ReportFormatParams }; result: ReportFormatResult };
  download_probe: { args: { params: DownloadProbeParams }; result: DownloadProbeResult };
  download_start: { args: { params: DownloadStartParams; onProgress: Channel<Progress<DownloadStartProgress>> }; result: DownloadStartResult };
  download_follow: { args: { jobId: string; onProgress: Channel<Progress<DownloadStartProgress>> }; result: null };
  download_cancel: { args: { params: DownloadCancelParams }; result: DownloadJob };
  download_list: { args: Record<string, never>; result: DownloadListResult };
  evidence_status: { args: Record<string, never>; result: EvidenceStatus };
  evidence_entries: { args: { deviceId: string | null }; result: Written[] };
  evidence_verify: { args: Record<string, never>; result: EvidenceCheck };
}

export type CommandError = { 
/**
 * For the UI's logic: the sidecar's error kind, or one of the host's own below.
 */
kind: string, message: string, suggestion: string, retryable: boolean, };

/**
 * What the sidecar is doing, for the UI: starting, failed to start, or once started the
 * supervisor's own [`State`] (`running`, `restarting`, `gave_up`, `stopping`, `stopped`), all
 * told apart by `phase`.
 */
export type Status = { "phase": "starting" } | { "phase": "failed", error: CommandError, } | State;

/**
 * What the supervisor is doing; [`Supervisor::watch`] reports every change. The app shows it
 * as it serialises: `{"phase": "running", "pid": .., "restarts": ..}`, and so on.
 */
export type State = { "phase": "running", pid: number, restarts: number, } | { "phase": "restarting", crashes: number, reason: string, } | { "phase": "gave_up", crashes: number, reason: string, } | { "phase": "stopping" } | { "phase": "stopped" };

/**
 * What the app decided at startup, for the UI's "where do things go" panel.
 */
export type Setup = { settings_path: string, settings: Settings, dirs: Dirs, python: string, 
/**
 * Where that Python came from: the bundled runtime, or a development fallback.
 */
python_source: string, };

export type Settings = { 
/**
 * Android devices reachable over TCP (wireless debugging), `host:port`.
 */
android_tcp: Array<string>, 
/**
 * A usbmuxd other than the system's, `host:port`.
 */
usbmux_address: string | null, 
/**
 * Downloads from loopback and private addresses (off: a web page must not be able to aim
 * the downloader at the user's router or local services).
 */
allow_private_networks: boolean, redact_identifiers: boolean, 
/**
 * Where downloads go; default `<Downloads>/Sidecar`.
 */
downloads_dir: string | null, 
/**
 * The adb private key; default `~/.android/adbkey`, as adb itself uses.
 */
adb_key_path: string | null, ios_pair_records_dir: string | null, ffmpeg_location: string | null, };

/**
 * The three folders the sidecar may write into, one per kind of output.
 */
export type Dirs = { reports: string, logs: string, downloads: string, };

/**
 * One message of a watch: the full current list, or why the watch ended.
 */
export type DevicesEvent = DevicesWatchReport | { error: CommandError, };

export type EvidenceStatus = { path: string, public_key: string, head: Head, 
/**
 * Entries this app session wrote.
 */
written: number, };

/**
 * The last entry: what a report prints as the anchor of everything before it.
 */
export type Head = { seq: number, hash: string, };

/**
 * One entry this process wrote, as the app lists it.
 */
export type Written = { seq: number, hash: string, time: string, kind: string, method: string | null, 
/**
 * `params.device_id` (redacted when the policy redacts identifiers).
 */
device_id: string | null, 
/**
 * `outcome.status`: ok, error, refused, timeout, cancelled, unavailable, host_error, sent.
 */
status: string | null, artifacts: Array<string>, };

export type EvidenceCheck = { ok: boolean, 
/**
 * For people: what verified, or the first thing wrong.
 */
message: string, verified: Verified | null, failure: Failure | null, };

/**
 * What a log that verifies holds.
 */
export type Verified = { entries: number, 
/**
 * The last entry's hash; the genesis hash for an empty log.
 */
head: string, checkpoints: number, 
/**
 * The keys the checkpoints were signed with, in order of first use.
 */
keys: Array<string>, 
/**
 * The seq of the last entry a checkpoint signed.
 */
last_signed: number | null, 
/**
 * Regions a crash cut short, each recorded by the `log_open` entry after it (its seq).
 */
torn: Array<[number, number]>, 
/**
 * With `--head`: the seq of the entry that has that hash.
 */
head_found: number | null, };

/**
 * The first thing wrong, where it is, and what verified before it.
 */
export type Failure = { 
/**
 * 1-based line number.
 */
line: number, seq: number | null, verified: Verified, } & ({ "problem": "changed", reason: string, } | { "problem": "deleted", from: number, to: number, } | { "problem": "reordered", expected: number, } | { "problem": "duplicated", of_line: number, } | { "problem": "inserted", reason: string, } | { "problem": "signature", reason: string, } | { "problem": "torn", offset: number, bytes: number, } | { "problem": "head_missing", head: string, });
