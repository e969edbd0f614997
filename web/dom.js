// Building the page from data without ever parsing it as HTML (message bodies and names are
// untrusted), and the small formats every view uses.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function duration(ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)}m${String(Math.floor(ms / 1000) % 60).padStart(2, "0")}s`;
  if (ms < 86400000) return `${Math.floor(ms / 3600000)}h${String(Math.floor(ms / 60000) % 60).padStart(2, "0")}m`;
  return `${Math.floor(ms / 86400000)}d${String(Math.floor(ms / 3600000) % 24).padStart(2, "0")}h`;
}

export function time(ms) { return new Date(ms).toISOString().replace("T", " ").replace("Z", ""); }

export function count(n) { return Number(n).toLocaleString("en-US"); }

// Asks before something that cannot be undone; resolves to true when confirmed.
export function confirmAction(text, action = "Delete") {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = action;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

// A message in the banner: the API's own text for a refusal.
export function notify(text, kind = "error") {
  const banner = document.getElementById("banner");
  banner.textContent = text;
  banner.className = `banner ${kind}`;
  banner.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { banner.hidden = true; }, kind === "error" ? 8000 : 4000);
}
