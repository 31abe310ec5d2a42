// The app's page: gate on the sidecar's health, then devices and downloads.

import { asCommandError, call, onStatus } from "./api.js";
import { DevicesView } from "./devices.js";
import { byId } from "./dom.js";
import { DownloadsView } from "./downloads.js";
import { EvidenceView } from "./evidence.js";
import type { HealthResult } from "./generated/sidecar.js";
import { StatusView } from "./status.js";

async function main(): Promise<void> {
  const status = new StatusView(byId("status"), byId("status-details"));
  // Listen before asking, so that no change falls between the two.
  await onStatus((s) => status.status(s));
  status.status(await call("sidecar_status", {}));

  let health: HealthResult;
  try {
    health = await call("health", {}); // waits until the sidecar has started (or failed to)
  } catch (error) {
    status.failed(asCommandError(error));
    return;
  }
  const setup = await call("app_setup", {});
  status.healthy(health, setup);

  const devices = new DevicesView(byId("device-list"), byId("device-detail"));
  const downloads = new DownloadsView(byId("download-jobs"), byId("download-messages"));
  // A restarted sidecar has no watch: start one whenever it is running again. Its downloads are
  // those the app's queue submitted again: list them.
  await onStatus((s) => {
    if (s.phase === "running" && s.restarts > 0) {
      void devices.watch();
      void downloads.load();
    }
  });

  byId("refresh-devices").addEventListener("click", () => void devices.refresh());
  byId<HTMLFormElement>("add-tcp").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>("tcp-address");
    devices.addTcp(input.value.trim());
    input.value = "";
    void devices.refresh().then(() => devices.watch());
  });
  const url = byId<HTMLInputElement>("download-url");
  const preset = byId<HTMLSelectElement>("download-preset");
  byId("download-probe").addEventListener("click", () => void downloads.probe(url.value.trim()));
  byId<HTMLFormElement>("download-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void downloads.start(url.value.trim(), preset.value);
  });
  const evidence = new EvidenceView(byId("evidence"));
  for (const section of document.querySelectorAll<HTMLElement>("[data-needs-sidecar]")) section.hidden = false;
  await evidence.show();
  await downloads.load();
  await devices.refresh();
  await devices.watch();
}

void main();
