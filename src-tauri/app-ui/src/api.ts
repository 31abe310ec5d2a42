// The app's commands and events, typed: `Commands` (each command's arguments and result) and the
// app's own types are generated from its Rust code (src/generated/app.d.ts), the protocol's types
// from schemas/ (src/generated/sidecar.d.ts), so a change on either side that breaks the UI fails tsc.
// Talks to Tauri through `window.__TAURI__` (app.withGlobalTauri), so no bundler is needed. The
// commands are the app's `sidecar` plugin; a call that reports progress takes a Channel.

import type { CommandError, Commands, DevicesEvent, EvidenceCheck, EvidenceStatus, Setup, Status, Written } from "./generated/app.js";
import type { Channel, Progress } from "./types.js";

/** A new channel whose messages go to `handler`. */
export function channel<T>(handler: (message: T) => void): Channel<T> {
  const created = new window.__TAURI__.core.Channel<T>();
  created.onmessage = handler;
  return created;
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

export type { Channel, CommandError, DevicesEvent, EvidenceCheck, EvidenceStatus, Progress, Setup, Status, Written };
