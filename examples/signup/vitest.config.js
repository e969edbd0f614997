// In a project of your own, flareq/testing comes with `npm i -D flareq`; this example, inside
// flareq's repository, takes the checkout's copy (and FLAREQ_BINARY or build/flareq).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "flareq/testing": fileURLToPath(new URL("../../npm/flareq/testing/index.mjs", import.meta.url)) } },
  test: { testTimeout: 60000, hookTimeout: 180000 },
});
