// The dashboard's entry: follows flareq's event stream into the live state (live.js), shows the
// clock and the connection, asks for the token, and routes to one view at a time.
import { follow, onTokenNeeded, setToken } from "./api.js";
import { time } from "./dom.js";
import { live, record } from "./live.js";
import { showOverview } from "./overview.js";
import { showQueue } from "./queue.js";
import { showLog } from "./log.js";

function onEvent(name, data) {
  if (name === "overview") {
    const c = data.clock;
    document.getElementById("clock").textContent =
      `${time(c.now_ms)}${c.frozen ? " (standing still)" : c.offset_ms > 1000 ? " (virtual)" : ""}`;
  }
  record(name, data);
}

function onState(state) {
  const status = document.getElementById("status");
  status.textContent = state === "live" ? "live" : "reconnecting…";
  status.className = `status ${state}`;
}

// The token dialog: shown when the API says a token is needed; resolves once one is given.
let pendingToken = null;
onTokenNeeded((message) => {
  if (pendingToken) return pendingToken;
  const dialog = document.getElementById("token-dialog");
  const error = document.getElementById("token-error");
  error.hidden = !message || !sessionStorage.getItem("flareq-token");
  error.textContent = message;
  pendingToken = new Promise((resolve) => {
    document.getElementById("token-form").onsubmit = () => {
      setToken(document.getElementById("token-input").value.trim());
      pendingToken = null;
      resolve();
    };
  });
  dialog.showModal();
  return pendingToken;
});

function route() {
  const view = document.getElementById("view");
  for (const listener of [...live.listeners]) if (listener.view) live.listeners.delete(listener);
  view.replaceChildren();
  const hash = decodeURIComponent(location.hash.slice(1) || "/");
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("current", hash.startsWith("/log") === (a.dataset.nav === "log"));
  const listen = (fn) => { fn.view = true; live.listeners.add(fn); };
  if (hash.startsWith("/queue/")) showQueue(view, hash.slice(7), listen);
  else if (hash.startsWith("/log")) showLog(view, listen, new URLSearchParams(hash.split("?")[1] ?? "").get("queue") ?? "");
  else showOverview(view, listen);
}

window.addEventListener("hashchange", route);
route();
follow(onEvent, onState);
