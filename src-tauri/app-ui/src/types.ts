// The page's own types that no generator writes (src/generated/app.d.ts names them from here).

/** A channel the host sends one call's messages on (progress, or the live device list). */
export interface Channel<T> {
  onmessage: (message: T) => void;
}
