// The dashboard's live state, which every view reads: the latest overview flareq sends every
// second, each queue's counter history (for rates), and the log lines. app.js feeds it.
export const live = {
  overview: null,
  history: new Map(),  // queue → [{t, counters}], the last five minutes
  log: [],             // {seq, line}, the last 2,000
  listeners: new Set(),
};
const kHistoryMs = 5 * 60 * 1000;

// Takes one event of the stream into the state, then tells the listeners.
export function record(name, data) {
  if (name === "overview") {
    live.overview = data;
    const t = Date.now();
    for (const q of data.queues) {
      const points = live.history.get(q.queue_name) ?? [];
      points.push({ t, counters: q.counters });
      while (points.length && points[0].t < t - kHistoryMs) points.shift();
      live.history.set(q.queue_name, points);
    }
  } else if (name === "log") {
    if (live.log.length && data.seq <= live.log[live.log.length - 1].seq) return;  // seen before a reconnect
    live.log.push(data);
    if (live.log.length > 2000) live.log.shift();
  }
  for (const listener of live.listeners) listener(name, data);
}
