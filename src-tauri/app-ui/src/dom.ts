// Small DOM helpers: elements built from data, never from HTML strings, so nothing a device or
// a web page reports can inject markup.

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child) element.append(child);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

export function button(label: string, testId: string, onClick: () => void | Promise<void>): HTMLButtonElement {
  const element = el("button", { type: "button", "data-testid": testId }, label);
  element.addEventListener("click", () => void onClick());
  return element;
}

/** A labelled progress bar; `set(null)` shows an indeterminate bar. */
export function progressBar(testId: string): { element: HTMLProgressElement; set(percent: number | null): void } {
  const element = el("progress", { max: "100", "data-testid": testId });
  return {
    element,
    set(percent) {
      if (percent === null) element.removeAttribute("value");
      else element.value = Math.max(0, Math.min(100, percent));
    },
  };
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A yes/no/unknown cell for the device's booleans. */
export function yesNo(value: boolean | null | undefined): string {
  return value === null || value === undefined ? "unknown" : value ? "yes" : "no";
}
