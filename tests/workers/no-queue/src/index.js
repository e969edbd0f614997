export default {
  async fetch(request, env) {
    await env.JOBS.send({ hello: 1 });
    return new Response("sent");
  },
};
