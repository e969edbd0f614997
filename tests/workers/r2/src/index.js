// Writes to the UPLOADS bucket as the tests ask (through the env fetch() gets, the one of
// "cloudflare:workers", a Durable Object's, a Workflow's or a named entrypoint's), and reports each notification queue() gets.
import { DurableObject, WorkerEntrypoint, WorkflowEntrypoint, env as importedEnv } from "cloudflare:workers";

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

// A Workflow whose step writes to the bucket through the imported env (the runtime calls a
// step's function back from outside run()).
export class Importer extends WorkflowEntrypoint {
  async run(event, step) {
    await step.do("store", async () => {
      await importedEnv.UPLOADS.put(event.payload.key, event.payload.text);
    });
  }
}

// A named entrypoint that writes to the bucket, called through the Worker's own service binding
// (UPLOADER): through this.env, and through the imported env.
export class Uploader extends WorkerEntrypoint {
  async store(key, text) {
    const o = await this.env.UPLOADS.put(key, text);
    return { key: o.key, size: o.size, etag: o.etag };
  }
  async storeImported(key, text) {
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
    if (verb === "put-via-entrypoint") return Response.json(await env.UPLOADER.store(key, await request.text()));
    if (verb === "put-via-entrypoint-import") return Response.json(await env.UPLOADER.storeImported(key, await request.text()));
    if (verb === "put-via-workflow") {
      // The Workflow writes in a step through the imported env; this answers once it is done.
      const instance = await env.IMPORTER.create({ params: { key, text: await request.text() } });
      for (let i = 0; i < 200 && (await instance.status()).status !== "complete"; i++) await new Promise((r) => setTimeout(r, 50));
      const o = await env.UPLOADS.head(key);
      return described(o);
    }
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
