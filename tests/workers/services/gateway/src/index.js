// The gateway Worker: each path reaches the backend Worker another way.
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/own") return env.BACKEND.fetch("http://backend/own");
    if (pathname === "/passed-on") return env.BACKEND.fetch(request);
    if (pathname === "/rpc") return new Response(String(await env.BACKEND.sum(2, 3)));
    if (pathname === "/tally") return new Response(String(await env.TALLY.get(env.TALLY.idFromName("t")).count()));
    if (pathname === "/send") {
      await env.EVENTS.send({ at: Date.now() });
      return new Response("sent");
    }
    return new Response("no such path", { status: 404 });
  },
};
