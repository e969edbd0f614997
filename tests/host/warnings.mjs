// What console.warn says while `run` runs: the runtime's console is where the Worker host's
// modules tell the user things, and the tests of those modules read it here.
export async function warnings(run) {
  const said = [];
  const warn = console.warn;
  console.warn = (text) => said.push(text);
  try {
    await run();
  } finally {
    console.warn = warn;
  }
  return said;
}
