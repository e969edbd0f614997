// PUT /images/NAME stores an upload in R2 and answers at once; DELETE /images/NAME removes it.
// The bucket's event notifications reach queue(), which makes (or removes) a thumbnail in
// thumbnails/ (outside images/, so writing it notifies nobody).
export default {
  async fetch(request, env) {
    const key = new URL(request.url).pathname.slice(1);
    if (!key.startsWith("images/")) return new Response("PUT or DELETE /images/NAME\n", { status: 404 });
    if (request.method === "PUT") {
      const object = await env.UPLOADS.put(key, request.body);
      return Response.json({ stored: object.key, size: object.size }, { status: 201 });
    }
    if (request.method === "DELETE") {
      await env.UPLOADS.delete(key);
      return new Response(null, { status: 204 });
    }
    return new Response("PUT or DELETE /images/NAME\n", { status: 405 });
  },

  async queue(batch, env) {
    for (const message of batch.messages) {
      const { action, object } = message.body;
      const thumbnail = object.key.replace(/^images\//, "thumbnails/");
      if (action === "DeleteObject") {
        await env.UPLOADS.delete(thumbnail);
        console.log(`removed ${thumbnail}`);
      } else {
        const upload = await env.UPLOADS.get(object.key);
        const bytes = upload ? (await upload.arrayBuffer()).byteLength : 0;
        await env.UPLOADS.put(thumbnail, `thumbnail of ${object.key} (${bytes} bytes)`);
        console.log(`${action} ${object.key} (${object.size} bytes, eTag ${object.eTag}) -> made ${thumbnail}`);
      }
      message.ack();
    }
  },
};
