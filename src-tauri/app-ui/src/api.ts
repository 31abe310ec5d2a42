// The app's commands and events, typed: params and results are the protocol's generated types
// (src/generated/sidecar.d.ts, from schemas/) and the app's own (src/generated/app.d.ts, from its
// Rust types), so a change on either side that breaks the UI fails tsc.
// Talks to Tauri through `window.__TAURI__` (app.withGlobalTauri), so no bundler is needed. The
// commands are the app's `sidecar` plugin (src-tauri/app/src/commands.list.rs); `Commands` below
// must name exactly those (a Rust test checks it). A call that reports progress takes a Channel.

import type { CommandError, DevicesEvent, Setup, Status } from "./generated/app.js";
import type { DownloadJob, DownloadListResult, HealthResult, ProgressValue, SidecarMethods } from "./generated/sidecar.js";

/** One entry this session wrote to the evidence log (the host's `Written`). */
export interface EvidenceWritten {
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

/** A channel the host sends one call's messages on (progress, or the live device list). */
export interface Channel<T> {
  onmessage: (message: T) => void;
}

/** A new channel whose messages go to `handler`. */
export function channel<T>(handler: (message: T) => void): Channel<T> {
  const created = new window.__TAURI__.core.Channel<T>();
  created.onmessage = handler;
  return created;
}

type Params<M extends keyof SidecarMethods> = { params: SidecarMethods[M]["params"] };
type Via<M extends keyof SidecarMethods> = { args: Params<M>; result: SidecarMethods[M]["result"] };
type WithProgress<M extends keyof SidecarMethods> = {
  args: Params<M> & { onProgress: Channel<ProgressValue> };
  result: SidecarMethods[M]["result"];
};

interface Commands {
  sidecar_status: { args: Record<string, never>; result: Status };
  app_setup: { args: Record<string, never>; result: Setup | null };
  health: { args: Record<string, never>; result: HealthResult };
  devices_list: Via<"devices/list">;
  devices_watch: { args: Params<"devices/list"> & { onDevices: Channel<DevicesEvent> }; result: null };
  devices_unwatch: { args: Record<string, never>; result: null };
  inspect_basic: Via<"inspect/basic">;
  inspect_deep: Via<"inspect/deep">;
  logs_collect: WithProgress<"logs/collect">;
  report_format: Via<"report/format">;
  download_probe: Via<"download/probe">;
  download_start: WithProgress<"download/start">;
  download_follow: { args: { jobId: string; onProgress: Channel<ProgressValue> }; result: null };
  download_cancel: { args: Params<"download/cancel">; result: DownloadJob };
  download_list: { args: Record<string, never>; result: DownloadListResult };
  evidence_status: { args: Record<string, never>; result: EvidenceStatus };
  evidence_entries: { args: { deviceId: string | null }; result: EvidenceWritten[] };
  evidence_verify: { args: Record<string, never>; result: EvidenceCheck };
}

interface Tauri {
  core: {
    invoke(command: string, args?: object): Promise<unknown>;
    Channel: new <T>() => Channel<T>;
  };
  event: { listen(event: string, handler: (event: { payload: unknown }) => void): Promise<() => void> };
}

declare global {
  interface Window {
    __TAURI__: Tauri;
  }
}

export async function call<C extends keyof Commands>(command: C, args: Commands[C]["args"]): Promise<Commands[C]["result"]> {
  try {
    return (await window.__TAURI__.core.invoke(`plugin:sidecar|${command}`, args)) as Commands[C]["result"];
  } catch (error) {
    throw asCommandError(error);
  }
}

export function onStatus(handler: (status: Status) => void): Promise<() => void> {
  return window.__TAURI__.event.listen("sidecar:status", (event) => handler(event.payload as Status));
}

/** A command's rejection as a CommandError, whatever Tauri handed over. */
export function asCommandError(error: unknown): CommandError {
  if (typeof error === "object" && error !== null && "kind" in error && "message" in error) {
    return error as CommandError;
  }
  return { kind: "internal_error", message: String(error), suggestion: "This is a bug in the app; please report it.", retryable: false };
}

export type { CommandError, DevicesEvent, Setup, Status };
