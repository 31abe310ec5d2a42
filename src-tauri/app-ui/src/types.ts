// The page's own types that no generator writes (src/generated/app.d.ts names them from here).

import type { ProgressValue } from "./generated/sidecar.js";

/** A channel the host sends one call's messages on (progress, or the live device list). */
export interface Channel<T> {
  onmessage: (message: T) => void;
}

/** One update of a call's progress (the app's `Progress<D>`): the protocol's `ProgressValue`, its detail that call's method's own. */
export type Progress<D> = Omit<ProgressValue, "detail"> & { detail?: D | null };
