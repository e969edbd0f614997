#!/usr/bin/env node
// `npx flareq …`: runs flareq's native binary with the same arguments, stdio, signals and exit
// status, so that the launcher is invisible: Ctrl-C, kill and `echo $?` behave as with the binary.
import { spawn } from "node:child_process";
import { binaryEnv, findBinary } from "../lib/binary.js";

let binary;
try {
  binary = findBinary();
} catch (err) {
  console.error(`flareq: ${err.message}`);
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", env: binaryEnv() });
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];
const forward = (signal) => child.kill(signal);
for (const signal of forwarded) process.on(signal, forward);

child.on("error", (err) => {
  console.error(`flareq: cannot run ${binary}: ${err.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so that a shell or npm sees what the binary died of.
    for (const s of forwarded) process.removeListener(s, forward);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code);
});
