// The header: "starting", then the sidecar's version and state, or a readable error with what
// to do. `document.body.dataset.state` mirrors it (starting | ready | restarting | failed) for
// styling and for the end-to-end test.

import type { CommandError, Setup, Status } from "./api.js";
import { el } from "./dom.js";
import type { HealthResult } from "./generated/sidecar.js";

export class StatusView {
  private health: HealthResult | null = null;

  constructor(
    private readonly badge: HTMLElement,
    private readonly details: HTMLElement,
  ) {}

  /** A status event from the host. */
  status(status: Status): void {
    switch (status.phase) {
      case "starting":
        this.show("starting", "Starting the helper process…");
        break;
      case "running":
        if (this.health) this.show("ready", this.readyText(status.restarts));
        break;
      case "restarting":
        this.show("restarting", `Restarting the helper process (${status.reason})…`);
        break;
      case "failed":
        this.failed(status.error);
        break;
      case "gave_up":
        this.failed({
          kind: "sidecar_failed",
          message: `The helper process crashed ${status.crashes} times in a row; last: ${status.reason}`,
          suggestion: "Restart the app. If it keeps happening, report it with the app's log.",
          retryable: false,
        });
        break;
      case "stopping":
      case "stopped":
        this.show("restarting", "The helper process is stopping.");
        break;
    }
  }

  healthy(health: HealthResult, setup: Setup | null): void {
    this.health = health;
    this.show("ready", this.readyText(0));
    const backends = Object.entries(health.backends)
      .map(([name, backend]) => `${name}: ${backend.available ? "available" : "missing"}`)
      .join(" · ");
    this.details.replaceChildren(
      el(
        "div",
        {},
        el("div", { "data-testid": "sidecar-version" }, `sidecar ${health.version} · Python ${health.python.version}`),
        el("div", { class: "muted" }, backends),
        setup
          ? el("div", { class: "muted", "data-testid": "python-source" }, `Python from the ${setup.python_source}: ${setup.python}`)
          : null,
        setup
          ? el("div", { class: "muted" }, `Reports: ${setup.dirs.reports} · Logs: ${setup.dirs.logs} · Downloads: ${setup.dirs.downloads}`)
          : null,
      ),
    );
  }

  failed(error: CommandError): void {
    this.show("failed", "The helper process is not available.");
    this.details.replaceChildren(errorCard(error, "sidecar-error"));
  }

  private readyText(restarts: number): string {
    const version = this.health ? ` ${this.health.version}` : "";
    return restarts > 0 ? `Ready: sidecar${version} (restarted ${restarts}×)` : `Ready: sidecar${version}`;
  }

  private show(state: string, text: string): void {
    document.body.dataset.state = state;
    this.badge.textContent = text;
  }
}

/** An error as people read it: what happened, and what to do. */
export function errorCard(error: CommandError, testId: string): HTMLElement {
  return el(
    "div",
    { class: "error", role: "alert", "data-testid": testId, "data-kind": error.kind },
    el("strong", {}, error.message),
    el("div", {}, error.suggestion),
    error.retryable ? el("div", { class: "muted" }, "Trying again may work.") : null,
  );
}
