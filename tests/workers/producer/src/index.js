export default {
  async fetch(request, env) {
    const tag = new URL(request.url).searchParams.get("tag") ?? "";
    await env.JOBS.send({ action: "ack", tag });
    return Response.json({ ok: true });
  },
};
