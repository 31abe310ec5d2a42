// The evidence log: this session's entries for a device (shown in its panel, and named in its
// reports), and the log as a whole (where it is, its key and head, and verifying it).

import { asCommandError, call, type Written } from "./api.js";
import { button, el } from "./dom.js";
import type { EvidenceEntry, ReportEvidence } from "./generated/sidecar.js";
import { errorCard } from "./status.js";

/** This session's entries of calls about `deviceId`, as a table (or why they cannot be shown). */
export async function deviceEntries(deviceId: string): Promise<HTMLElement> {
  let entries: Written[];
  try {
    entries = await call("evidence_entries", { deviceId });
  } catch (error) {
    return errorCard(asCommandError(error), "evidence-error");
  }
  const rows = entries.map((entry) =>
    el(
      "tr",
      { "data-testid": "evidence-entry", "data-hash": entry.hash },
      el("td", {}, String(entry.seq)),
      el("td", {}, entry.time.replace("T", " ").replace(/\.\d+Z$/, " UTC")),
      el("td", {}, entry.method ?? entry.kind),
      el("td", {}, entry.status ?? ""),
      el("td", { class: "mono", title: entry.hash }, `${entry.hash.slice(0, 16)}…`),
      el("td", { class: "mono" }, entry.artifacts.join("\n")),
    ),
  );
  return el(
    "div",
    { "data-testid": "evidence-entries" },
    el("h4", {}, "Evidence log entries (this session)"),
    rows.length
      ? el(
          "table",
          {},
          el("tr", {}, ...["#", "Time", "Call", "Outcome", "Hash", "Files (hashed by the app)"].map((t) => el("th", {}, t))),
          ...rows,
        )
      : el("div", { class: "muted" }, "No entries yet."),
  );
}

/** What a report made now carries: for each of `methods`, the latest successful entry about the device, and the log's head. */
export async function reportEvidence(deviceId: string, methods: string[]): Promise<ReportEvidence> {
  const [status, entries] = await Promise.all([call("evidence_status", {}), call("evidence_entries", { deviceId })]);
  const chosen: EvidenceEntry[] = [];
  for (const method of methods) {
    const latest = entries.filter((e) => e.method === method && e.status === "ok").pop();
    if (latest) chosen.push({ seq: latest.seq, hash: latest.hash, method });
  }
  return { head: status.head.hash, head_seq: status.head.seq, entries: chosen, public_key: status.public_key };
}

/** The log as a whole: its file, its key, its head, and a button that verifies it. */
export class EvidenceView {
  private readonly result = el("div", { "data-testid": "evidence-result" });

  constructor(private readonly root: HTMLElement) {}

  async show(): Promise<void> {
    try {
      const status = await call("evidence_status", {});
      this.root.replaceChildren(
        el(
          "table",
          { class: "facts", "data-testid": "evidence-status" },
          el("tr", {}, el("th", {}, "Log"), el("td", { class: "mono" }, status.path)),
          el("tr", {}, el("th", {}, "Signing key (Ed25519)"), el("td", { class: "mono" }, status.public_key)),
          el("tr", {}, el("th", {}, "Head"), el("td", { class: "mono" }, `entry ${status.head.seq}: ${status.head.hash}`)),
        ),
        el(
          "div",
          { class: "toolbar" },
          button("Verify the log", "evidence-verify", () => this.verify()),
        ),
        this.result,
      );
    } catch (error) {
      this.root.replaceChildren(errorCard(asCommandError(error), "evidence-error"));
    }
  }

  async verify(): Promise<void> {
    await this.show(); // the head as it is now
    this.result.replaceChildren(el("div", { class: "muted" }, "Verifying…"));
    try {
      const check = await call("evidence_verify", {});
      this.result.replaceChildren(el("div", { class: check.ok ? "ok" : "error", "data-ok": String(check.ok) }, check.message));
    } catch (error) {
      this.result.replaceChildren(errorCard(asCommandError(error), "evidence-error"));
    }
  }
}
