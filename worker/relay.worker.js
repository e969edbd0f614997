// Runs inside workerd beside the user's Worker: receives what the native Queue binding sends
// (POST /message with the serialized body, POST /batch with base64 bodies) and pushes it to
// flareq's API. A refusal comes back with flareq's error text and code, which workerd puts
// in the error that the Worker's send() rejects with.
function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
function apiMessage(contentType, bytes, delay) {
  const type = contentType ?? "v8";
  const m = { content_type: type };
  if (type === "json") m.body = JSON.parse(new TextDecoder().decode(bytes));
  else if (type === "text") m.body = new TextDecoder().decode(bytes);
  else m.body = toBase64(bytes);
  if (delay !== undefined) m.delay_seconds = delay;
  return m;
}
function delayOf(request, env) {
  const header = request.headers.get("X-Msg-Delay-Secs");
  if (header !== null && header !== "") return Number(header);
  return env.DELIVERY_DELAY === "" ? undefined : Number(env.DELIVERY_DELAY);
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    let path, body;
    if (request.method === "POST" && pathname === "/message") {
      const bytes = new Uint8Array(await request.arrayBuffer());
      path = "/messages";
      body = apiMessage(request.headers.get("X-Msg-Fmt") ?? undefined, bytes, delayOf(request, env));
    } else if (request.method === "POST" && pathname === "/batch") {
      const batch = await request.json();
      path = "/messages/batch";
      body = { messages: batch.messages.map((m) => apiMessage(m.contentType, fromBase64(m.body), m.delaySecs)) };
      const delay = delayOf(request, env);
      if (delay !== undefined) body.delay_seconds = delay;
    } else if (request.method === "GET" && pathname === "/metrics") {
      const r = await env.FLAREQ.fetch(`http://${env.API_ADDRESS}${env.API_PATH}/queues/${env.QUEUE}`, { headers: headers(env) });
      return r;
    } else {
      return new Response("not found", { status: 404 });
    }
    const r = await env.FLAREQ.fetch(`http://${env.API_ADDRESS}${env.API_PATH}/queues/${encodeURIComponent(env.QUEUE)}${path}`, {
      method: "POST",
      headers: headers(env),
      body: JSON.stringify(body),
    });
    const answer = await r.json().catch(() => ({}));
    if (r.ok) return Response.json({ metadata: { metrics: {} } });
    const error = answer?.errors?.[0] ?? {};
    const why = error.message ?? `flareq answered ${r.status}`;
    // workerd builds the error that send() rejects with from these two headers.
    return new Response(why, {
      status: r.status,
      headers: { "CF-Queues-Error-Cause": why, "CF-Queues-Error-Code": String(error.code ?? 15000) },
    });
  },
};

function headers(env) {
  const h = { "content-type": "application/json" };
  if (env.API_TOKEN) h.authorization = `Bearer ${env.API_TOKEN}`;
  return h;
}
