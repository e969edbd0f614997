// Writes to the UPLOADS bucket as the tests ask (through the env fetch() gets, the one of
// "cloudflare:workers", or a Durable Object's), and reports each notification queue() gets.
import { DurableObject, env as importedEnv } from "cloudflare:workers";

// A Durable Object that writes to the bucket: through this.env in fetch(), through the imported
// env in an RPC method.
export class Archive extends DurableObject {
  async fetch(request) {
    const key = decodeURIComponent(new URL(request.url).pathname.slice(1));
    const o = await this.env.UPLOADS.put(key, await request.text());
    return Response.json({ key: o.key, size: o.size, etag: o.etag });
  }
  async store(key, text) {
    const o = await importedEnv.UPLOADS.put(key, text);
    return { key: o.key, size: o.size, etag: o.etag };
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, verb, ...rest] = url.pathname.split("/");
    const key = decodeURIComponent(rest.join("/"));
    const described = (o) => Response.json(o && { key: o.key, size: o.size, etag: o.etag });
    if (verb === "put") return described(await env.UPLOADS.put(key, await request.text()));
    if (verb === "put-via-import") return described(await importedEnv.UPLOADS.put(key, await request.text()));
    const archive = () => env.ARCHIVE.get(env.ARCHIVE.idFromName("archive"));
    if (verb === "put-via-object") return archive().fetch("http://archive/" + encodeURIComponent(key), { method: "POST", body: await request.text() });
    if (verb === "put-via-object-rpc") return Response.json(await archive().store(key, await request.text()));
    if (verb === "put-if-absent")
      return described(await env.UPLOADS.put(key, await request.text(), { onlyIf: { etagDoesNotMatch: "*" } }));
    if (verb === "delete") {
      await env.UPLOADS.delete(url.searchParams.get("keys").split(","));
      return new Response("deleted\n");
    }
    if (verb === "multipart") {
      const upload = await env.UPLOADS.createMultipartUpload(key);
      const resumed = env.UPLOADS.resumeMultipartUpload(key, upload.uploadId);
      const part = await resumed.uploadPart(1, await request.text());
      return described(await resumed.complete([part]));
    }
    if (verb === "get") {
      const object = await env.UPLOADS.get(key);
      return object ? new Response(object.body) : new Response("not found\n", { status: 404 });
    }
    if (verb === "env") return Response.json(Object.keys(env).sort());
    return new Response("unknown\n", { status: 404 });
  },
  async queue(batch, env) {
    for (const m of batch.messages) await env.RESULTS.send(m.body);
  },
};
