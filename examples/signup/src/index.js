// The sign-up Worker: fetch() queues a welcome email and answers at once; queue() sends the
// emails in batches, acking each one sent and retrying each one that bounced.
async function sendWelcomeEmail(user) {
  if (user.email.endsWith("@bounce.invalid")) throw new Error(`could not email ${user.email}`);
  console.log(`welcome email sent to ${user.name} <${user.email}>`);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/signup") return new Response("POST /signup", { status: 404 });
    const user = await request.json();
    await env.SIGNUPS.send({ type: "welcome-email", ...user });
    return Response.json({ ok: true });
  },

  async queue(batch, env, ctx) {
    for (const message of batch.messages) {
      try {
        await sendWelcomeEmail(message.body);
        message.ack();
      } catch (err) {
        console.log(`${err.message} (attempt ${message.attempts})`);
        message.retry();
      }
    }
  },
};
