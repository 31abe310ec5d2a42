// Devices: the live list (the user's adb server or USB, plus Android over TCP and a usbmuxd from the
// settings or typed here), and for the chosen one its inspection, deep signals, logs and reports.

import { asCommandError, call, channel, type DevicesEvent, type Progress } from "./api.js";
import { button, el, formatBytes, progressBar, yesNo } from "./dom.js";
import { deviceEntries, reportEvidence } from "./evidence.js";
import type {
  BasicInfo,
  DeepSignals,
  DeviceSummary,
  DevicesListParams,
  LogsCollectProgress,
  LogsCollectResult,
  ReportEvidence,
  ReportFormatParams,
  Warning,
} from "./generated/sidecar.js";
import { errorCard } from "./status.js";

const FORMATS: ReportFormatParams["format"][] = ["html", "md", "json", "pdf"];

export class DevicesView {
  private readonly extraTcp: string[] = [];
  private lastShown = "";

  constructor(
    private readonly list: HTMLElement,
    private readonly detail: HTMLElement,
  ) {}

  /** Add an Android device reachable over TCP (`host:port`) to the next listings. */
  addTcp(address: string): void {
    if (address && !this.extraTcp.includes(address)) this.extraTcp.push(address);
  }

  async refresh(): Promise<void> {
    this.lastShown = "";
    this.list.replaceChildren(el("div", { class: "muted" }, "Looking for devices…"));
    try {
      this.show(await call("devices_list", { params: this.params() }));
    } catch (error) {
      this.list.replaceChildren(errorCard(asCommandError(error), "devices-error"));
    }
  }

  /** Keep the list live: the sidecar reports every change (the Refresh button still lists at once). */
  async watch(): Promise<void> {
    try {
      await call("devices_watch", { params: this.params(), onDevices: channel<DevicesEvent>((event) => this.live(event)) });
    } catch (error) {
      this.list.replaceChildren(errorCard(asCommandError(error), "devices-error"));
    }
  }

  /** A message of the watch: the full current list, or why the watch ended. */
  private live(event: DevicesEvent): void {
    if ("error" in event) {
      // The sidecar restarting ends the watch; the status handler starts a new one when it is back.
      if (event.error.kind !== "sidecar_unavailable") this.list.append(errorCard(event.error, "devices-error"));
      return;
    }
    this.show(event);
  }

  private params(): DevicesListParams {
    return { android_tcp: this.extraTcp };
  }

  private show(result: { devices: DeviceSummary[]; warnings: Warning[] }): void {
    // The watch's first list is usually the one just shown: keep the table (and what the user is clicking).
    const shown = JSON.stringify(result);
    if (shown === this.lastShown && this.list.isConnected && this.list.querySelector("[data-testid]")) return;
    this.lastShown = shown;
    const rows = result.devices.map((device) => this.row(device));
    const warnings = result.warnings.map((w) => el("div", { class: "warning" }, w.message));
    this.list.replaceChildren(
      rows.length
        ? el("table", { "data-testid": "device-table" }, header(["Platform", "Device", "Model", "OS", "State", ""]), ...rows)
        : el("div", { class: "muted", "data-testid": "no-devices" }, "No devices found."),
      ...warnings,
    );
  }

  private row(device: DeviceSummary): HTMLElement {
    const state = device.state_detail && device.state !== "ready" ? `${device.state} (${device.state_detail})` : device.state;
    const cells = [device.platform, device.device_id, device.model ?? "?", device.os_version ?? "?", state];
    return el(
      "tr",
      { "data-testid": "device-row", "data-device-id": device.device_id, "data-state": device.state },
      ...cells.map((text) => el("td", {}, text)),
      el(
        "td",
        {},
        button("Inspect", "inspect", () => this.inspect(device)),
      ),
    );
  }

  private async inspect(device: DeviceSummary): Promise<void> {
    // The hints the sidecar listed the device with reach it: passed back verbatim, never guessed.
    const ref = { device_id: device.device_id, platform: device.platform, hints: device.hints ?? {} };
    const panel = new DevicePanel(device, this.detail);
    panel.busy(`Inspecting ${device.device_id}…`);
    try {
      const basic = await call("inspect_basic", { params: ref });
      panel.basic(basic.data, basic.warnings);
    } catch (error) {
      panel.fail(asCommandError(error));
      return;
    }
    const logsDuration = durationChoice();
    panel.actions(
      button("Deep inspection", "inspect-deep", async () => {
        try {
          panel.deep((await call("inspect_deep", { params: ref })).data);
        } catch (error) {
          panel.fail(asCommandError(error));
        }
      }),
      logsDuration,
      button("Collect logs", "collect-logs", async () => {
        const bar = panel.logsStarted();
        const onProgress = channel<Progress<LogsCollectProgress>>((value) => bar.set(value.percentage ?? null));
        try {
          panel.logs(await call("logs_collect", { params: { ...ref, duration_s: Number(logsDuration.value) }, onProgress }));
        } catch (error) {
          panel.fail(asCommandError(error));
        }
      }),
      ...FORMATS.map((format) => button(`${format.toUpperCase()} report`, `report-${format}`, () => panel.report(format))),
    );
  }
}

/** One device's results, and the report made from them. */
class DevicePanel {
  private info: BasicInfo | null = null;
  private deepSignals: DeepSignals | null = null;
  private logResult: LogsCollectResult | null = null;
  private warnings: Warning[] = [];
  private readonly results = el("div", { "data-testid": "device-results" });
  private readonly messages = el("div", {});
  private readonly toolbar = el("div", { class: "toolbar" });
  private readonly evidence = el("div", { "data-testid": "device-evidence" });

  constructor(
    private readonly device: DeviceSummary,
    root: HTMLElement,
  ) {
    root.replaceChildren(
      el("h3", {}, `${device.model ?? device.platform} · ${device.device_id}`),
      this.toolbar,
      this.messages,
      this.results,
      this.evidence,
    );
  }

  /** The evidence log's entries of this session's calls about the device, after each of them. */
  private async showEvidence(): Promise<void> {
    this.evidence.replaceChildren(await deviceEntries(this.device.device_id));
  }

  busy(text: string): void {
    this.messages.replaceChildren(el("div", { class: "muted" }, text));
  }

  fail(error: ReturnType<typeof asCommandError>): void {
    this.messages.replaceChildren(errorCard(error, "device-error"));
    void this.showEvidence();
  }

  actions(...buttons: HTMLElement[]): void {
    this.toolbar.replaceChildren(...buttons);
  }

  basic(info: BasicInfo, warnings: Warning[]): void {
    this.info = info;
    this.warnings = warnings;
    void this.showEvidence();
    this.messages.replaceChildren(...warnings.map((w) => el("div", { class: "warning" }, w.message)));
    this.results.replaceChildren(
      table("basic-info", [
        ["Manufacturer", info.manufacturer ?? "?"],
        ["Model name", info.model_name ?? "not stated by the device"],
        ["Model", info.model ?? "?"],
        ["OS version", info.os_version ?? "?"],
        ["Build", info.build ?? "?"],
        ["Serial", info.serial ?? "?"],
        ["Battery", info.battery_level === null ? "?" : `${info.battery_level}%`],
        ["Activation lock", yesNo(info.activation_locked)],
        ["FRP lock", yesNo(info.frp_locked)],
        ["Bootloader locked", yesNo(info.bootloader_locked)],
        ["MDM enrolled", yesNo(info.mdm_enrolled)],
      ]),
    );
  }

  deep(signals: DeepSignals): void {
    this.deepSignals = signals;
    void this.showEvidence();
    this.results.append(
      table("deep-info", [
        ["Security patch", signals.security_patch ?? "?"],
        ["Encryption", signals.encryption ?? "?"],
        ["Developer options", yesNo(signals.developer_options)],
        ["Root indicators", signals.root_indicators.join(", ") || "none"],
        ["Supervised", yesNo(signals.supervision.supervised)],
        ["Storage free", `${formatBytes(signals.storage.free_bytes)} of ${formatBytes(signals.storage.total_bytes)}`],
      ]),
    );
  }

  logsStarted(): ReturnType<typeof progressBar> {
    const bar = progressBar("logs-progress");
    bar.set(null);
    this.messages.replaceChildren(el("div", {}, "Collecting logs… ", bar.element));
    return bar;
  }

  logs(result: LogsCollectResult): void {
    this.logResult = result;
    void this.showEvidence();
    const cut = result.truncated ? " (cut at the size limit)" : "";
    this.messages.replaceChildren(
      el("div", { "data-testid": "logs-result" }, `${result.log_count} log lines, ${formatBytes(result.bytes)}${cut}: ${result.path}`),
    );
  }

  async report(format: ReportFormatParams["format"]): Promise<void> {
    if (!this.info) return;
    // The entries of the results this report shows, and the log's head: a printed report ties back to the log.
    const made = ["inspect/basic", ...(this.deepSignals ? ["inspect/deep"] : []), ...(this.logResult ? ["logs/collect"] : [])];
    let evidence: ReportEvidence;
    try {
      evidence = await reportEvidence(this.device.device_id, made);
    } catch (error) {
      this.fail(asCommandError(error));
      return;
    }
    const params: ReportFormatParams = {
      format,
      report_id: `${this.device.device_id.replace(/[^A-Za-z0-9._-]/g, "_")}-${Date.now()}`,
      data: {
        device: this.info,
        deep: this.deepSignals,
        logs: this.logResult,
        generated_at: new Date().toISOString(),
        title: `Device report: ${this.device.model ?? this.device.device_id}`,
        warnings: this.warnings,
        evidence,
      },
    };
    try {
      const written = await call("report_format", { params });
      this.messages.replaceChildren(
        el(
          "div",
          { "data-testid": `report-written-${format}` },
          `${format.toUpperCase()} report written (${formatBytes(written.bytes)}): ${written.artifact}`,
        ),
      );
      void this.showEvidence();
    } catch (error) {
      this.fail(asCommandError(error));
    }
  }
}

/** How long to follow the device's log. */
function durationChoice(): HTMLSelectElement {
  const choices: [string, string][] = [
    ["3", "Follow 3 s"],
    ["10", "Follow 10 s"],
    ["30", "Follow 30 s"],
    ["60", "Follow 1 min"],
  ];
  return el(
    "select",
    { "data-testid": "logs-duration", title: "How long to collect the log" },
    ...choices.map(([value, label]) => el("option", { value }, label)),
  );
}

function header(titles: string[]): HTMLElement {
  return el("tr", {}, ...titles.map((title) => el("th", {}, title)));
}

function table(testId: string, rows: [string, string][]): HTMLElement {
  return el("table", { class: "facts", "data-testid": testId }, ...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}
