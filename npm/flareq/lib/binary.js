// Where flareq's native binary is and what it is started with, for the launcher (bin/) and
// flareq/testing: FLAREQ_BINARY, else the platform package npm installed beside this one
// (flareq-linux-x64 or flareq-linux-arm64), else a source checkout's build/flareq.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const platformPackages = { "linux x64": "flareq-linux-x64", "linux arm64": "flareq-linux-arm64" };

export function findBinary() {
  if (process.env.FLAREQ_BINARY) return process.env.FLAREQ_BINARY;
  const platformPackage = platformPackages[`${process.platform} ${process.arch}`];
  if (!platformPackage)
    throw new Error(`flareq runs on Linux on x64 or arm64; this machine is ${process.platform} on ${process.arch}`);
  try {
    return require.resolve(`${platformPackage}/bin/flareq`);
  } catch {}
  const sourceBuild = join(packageDir, "..", "..", "build", "flareq");
  if (existsSync(sourceBuild)) return sourceBuild;
  // npm leaves the platform package out on a C library other than glibc (its "libc" field).
  if (!process.report?.getReport().header.glibcVersionRuntime)
    throw new Error("flareq's binary needs glibc (Debian, Ubuntu, Fedora…); this Linux has another C library (Alpine's musl?)");
  const { version } = require("../package.json");
  throw new Error(
    `${platformPackage}, the package that holds flareq's binary for this machine, is not installed ` +
      "(npm installs it with flareq unless optional dependencies are left out, --omit=optional): " +
      `npm i -D ${platformPackage}@${version} (or its tarball, ${platformPackage}-${version}.tgz)`);
}

// The environment flareq runs in: it ends when the process that started it ends
// (FLAREQ_PARENT_PID), and finds the Worker host's JavaScript in this package.
export function binaryEnv(env = process.env) {
  const out = { ...env, FLAREQ_PARENT_PID: String(process.pid) };
  const hostDir = join(packageDir, "worker");
  if (!out.FLAREQ_WORKER_HOST_DIR && existsSync(join(hostDir, "host.mjs"))) out.FLAREQ_WORKER_HOST_DIR = hostDir;
  return out;
}
