// Downloads: probe a URL, start a download, follow each job's progress bar, cancel it.
// A job's row is keyed by its id (the app's queue key, the same across sidecar and app restarts)
// and created by whichever comes first: the start's answer, the list, or its first progress event
// (events may overtake the answer). The list, shown at start and after a sidecar restart, has the
// downloads the app resumed after a crash or its last close.

import { asCommandError, call, type ProgressEvent } from "./api.js";
import { button, el, formatBytes, progressBar } from "./dom.js";
import type { DownloadJob } from "./generated/sidecar.js";
import { errorCard } from "./status.js";

interface Row {
  element: HTMLElement;
  bar: ReturnType<typeof progressBar>;
  status: HTMLElement;
  detail: HTMLElement;
}

export class DownloadsView {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly jobs: HTMLElement,
    private readonly messages: HTMLElement,
  ) {}

  async probe(url: string): Promise<void> {
    try {
      const info = await call("download_probe", { params: { url } });
      const what = info.kind === "playlist" ? `playlist of ${info.entry_count ?? "?"} entries` : `${info.formats.length} formats`;
      this.messages.replaceChildren(el("div", { "data-testid": "probe-result" }, `${info.title ?? url}: ${what}`));
    } catch (error) {
      this.messages.replaceChildren(errorCard(asCommandError(error), "download-error"));
    }
  }

  /** Every download the app's queue knows: running, waiting to be resumed, and ended. */
  async load(): Promise<void> {
    try {
      for (const job of (await call("download_list", {})).jobs) this.show(job);
    } catch (error) {
      this.messages.replaceChildren(errorCard(asCommandError(error), "download-error"));
    }
  }

  async start(url: string, preset: string): Promise<void> {
    try {
      const started = await call("download_start", { params: { url, preset } });
      this.row(started.job_id).status.textContent = started.status;
      this.messages.replaceChildren();
    } catch (error) {
      this.messages.replaceChildren(errorCard(asCommandError(error), "download-error"));
    }
  }

  progress(event: ProgressEvent): void {
    const row = this.row(event.key);
    const { value } = event;
    if (value.kind === "end") {
      // The final state (files, error) is the job's; ask for it rather than parse the message.
      void this.refresh(event.key);
      return;
    }
    row.bar.set(value.percentage ?? null);
    row.status.textContent = value.message ?? "active";
    const detail = value.detail as { downloaded_bytes?: number; total_bytes?: number } | null | undefined;
    if (detail?.downloaded_bytes !== undefined) {
      row.detail.textContent = `${formatBytes(detail.downloaded_bytes)} of ${formatBytes(detail.total_bytes)}`;
    }
  }

  private async refresh(jobId: string): Promise<void> {
    try {
      const job = (await call("download_list", {})).jobs.find((j) => j.job_id === jobId);
      if (job) this.show(job);
    } catch (error) {
      this.messages.replaceChildren(errorCard(asCommandError(error), "download-error"));
    }
  }

  private show(job: DownloadJob): void {
    const row = this.row(job.job_id);
    row.element.dataset.status = job.status;
    row.status.textContent = job.status;
    if (job.status === "finished") row.bar.set(100);
    else if (job.percent !== null) row.bar.set(job.percent);
    const files = job.status === "finished" && job.path ? job.path : job.files.join(", ");
    row.detail.replaceChildren(
      files ? el("span", { "data-testid": "download-files" }, files) : "",
      job.error ? errorCard(job.error, "download-job-error") : "",
    );
  }

  private row(jobId: string): Row {
    const existing = this.rows.get(jobId);
    if (existing) return existing;
    const bar = progressBar("download-progress");
    bar.set(null);
    const status = el("span", { "data-testid": "download-status" }, "queued");
    const detail = el("div", { class: "muted" });
    const cancel = button("Cancel", "download-cancel", async () => {
      try {
        this.show(await call("download_cancel", { params: { job_id: jobId } }));
      } catch (error) {
        this.messages.replaceChildren(errorCard(asCommandError(error), "download-error"));
      }
    });
    const element = el("div", { class: "job", "data-testid": "download-job", "data-job-id": jobId, "data-status": "active" }, el("div", {}, bar.element, " ", status, " ", cancel), detail);
    this.jobs.prepend(element);
    const row = { element, bar, status, detail };
    this.rows.set(jobId, row);
    return row;
  }
}
