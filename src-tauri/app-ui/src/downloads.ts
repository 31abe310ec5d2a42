// Downloads: probe a URL, start a download, follow each job's progress bar, cancel it.
// A job's row is keyed by its id (the app's queue key, the same across sidecar and app restarts).
// Its progress comes on the channel passed with its start, or, for a job found in the list (shown
// at start and after a sidecar restart: the downloads the app resumed after a crash or its last
// close), on the channel `download_follow` passes.

import { asCommandError, call, channel, type Progress } from "./api.js";
import { button, el, formatBytes, progressBar } from "./dom.js";
import type { DownloadJob, DownloadStartProgress } from "./generated/sidecar.js";
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
      for (const job of (await call("download_list", {})).jobs) {
        this.show(job);
        if (job.status === "queued" || job.status === "active") await this.follow(job.job_id);
      }
    } catch (error) {
      this.messages.replaceChildren(errorCard(asCommandError(error), "download-error"));
    }
  }

  async start(url: string, preset: string): Promise<void> {
    try {
      // Its progress may come before the answer that names the job: held until then.
      const early: Progress<DownloadStartProgress>[] = [];
      let jobId: string | null = null;
      const onProgress = channel<Progress<DownloadStartProgress>>((value) =>
        jobId === null ? early.push(value) : this.progress(jobId, value),
      );
      const started = await call("download_start", { params: { url, preset }, onProgress });
      jobId = started.job_id;
      this.row(jobId).status.textContent = started.status;
      for (const value of early.splice(0)) this.progress(jobId, value);
      this.messages.replaceChildren();
    } catch (error) {
      this.messages.replaceChildren(errorCard(asCommandError(error), "download-error"));
    }
  }

  private async follow(jobId: string): Promise<void> {
    await call("download_follow", { jobId, onProgress: channel<Progress<DownloadStartProgress>>((value) => this.progress(jobId, value)) });
  }

  private progress(jobId: string, value: Progress<DownloadStartProgress>): void {
    // A download's detail is the job as download/list shows it (under the sidecar's own job id).
    const job = value.detail ? { ...value.detail, job_id: jobId } : null;
    if (value.kind === "end") {
      // The end carries the job's final state (status, files, error). Only a job too large for one
      // frame comes without it: then ask for it.
      if (job) this.show(job);
      else void this.refresh(jobId);
      return;
    }
    const row = this.row(jobId);
    row.bar.set(value.percentage ?? null);
    row.status.textContent = value.message ?? "active";
    const figures = job?.progress;
    if (figures && figures.downloaded_bytes !== null) {
      row.detail.textContent = `${formatBytes(figures.downloaded_bytes)} of ${formatBytes(figures.total_bytes)}`;
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
    else if (job.progress.percent !== null) row.bar.set(job.progress.percent);
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
    const element = el(
      "div",
      { class: "job", "data-testid": "download-job", "data-job-id": jobId, "data-status": "active" },
      el("div", {}, bar.element, " ", status, " ", cancel),
      detail,
    );
    this.jobs.prepend(element);
    const row = { element, bar, status, detail };
    this.rows.set(jobId, row);
    return row;
  }
}
