// The dashboard's client of flareq's API: the Bearer token (asked for once, kept for the tab),
// Cloudflare's envelope, and the event stream (read with fetch, which can send the token).
const base = "/client/v4/accounts/local";
const tokenKey = "flareq-token";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let askForToken = null;  // set by the page: resolves once the user has given a token
export function onTokenNeeded(ask) { askForToken = ask; }

function headers(extra = {}) {
  const token = sessionStorage.getItem(tokenKey);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

export function setToken(token) { sessionStorage.setItem(tokenKey, token); }

const needsToken = (status, body) => status === 403 && body?.errors?.[0]?.code === 10000;

// One API call; `path` is relative to the account. Resolves to the envelope's result.
export async function api(method, path, body) {
  for (;;) {
    const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(base + path, init);
    const answer = await response.json().catch(() => null);
    if (needsToken(response.status, answer) && askForToken) {
      await askForToken(answer.errors[0].message);
      continue;
    }
    if (!response.ok || !answer?.success) {
      const e = answer?.errors?.[0];
      throw new ApiError(response.status, e?.code ?? 0, e?.message ?? `flareq answered ${response.status}`);
    }
    return answer.result;
  }
}

// Follows the event stream: onEvent(name, data) for each event; reconnects after a break.
// onState("live" | "lost") tells the page how the connection stands.
export async function follow(onEvent, onState) {
  for (;;) {
    try {
      const response = await fetch(base + "/flareq/events", { headers: headers() });
      if (needsToken(response.status, await peekJson(response)) && askForToken) {
        await askForToken("");
        continue;
      }
      if (!response.ok) throw new Error(`events: ${response.status}`);
      onState("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let name = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) name = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) onEvent(name, JSON.parse(data));
        }
      }
    } catch {
      // dev stopped or restarted: try again
    }
    onState("lost");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function peekJson(response) {
  if (response.status !== 403) return null;
  return response.clone().json().catch(() => null);
}
