// The analysis result as the player shows it, read from the engine-neutral timeline that
// GET /api/analyses/{id}?format=timeline carries (streambet/timeline.py): lanes (label
// bars), frames (boxes per sampled time), shots, black frames and on-screen text.
// Pure functions: no DOM, no fetch.

function num(v, fallback = 0) {
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** The result inside GET /api/analyses/{id} ({} until the analysis has succeeded). */
export function resultOf(payload) {
  return (payload && payload.result) || {};
}

function infoOf(timeline, name) {
  const info = (timeline.labels || {})[name] || {};
  return { categories: info.categories || [], parents: info.parents || [] };
}

function sampleInterval(timeline) {
  return Math.max(1, num(timeline.sample_interval_ms, 500));
}

/**
 * Label bars: per label, runs of samples no further apart than 1.5 sample intervals, each
 * ending one interval after its last sample (capped at the analysed end) at the run's top
 * confidence; the same segments as the Rekognition SEGMENTS shape (vision/outputs.py).
 * One lane per label family: a parent seen above exactly one most specific label (Animal,
 * Mammal, Feline over a Cat over an Egyptian Mau) shares that label's lane, its moments
 * included; a parent over several (Person over a Face and a Hand) keeps a lane of its own.
 * A shared lane is named after its most specific label seen within NAME_MARGIN of the
 * family's best confidence (the classifier's parents sum their children's scores: "Cat"
 * at 78 names the lane, not "Egyptian Mau" at 69); `members` lists every label in it.
 * -> [{name, categories, parents, members, bars: [{start, end, confidence}], max}], most
 * confident first.
 */
const NAME_MARGIN = 5;

export function lanesFromTimeline(timeline) {
  const interval = sampleInterval(timeline);
  const endCap = num(timeline.analysed_until_ms) || num(timeline.video?.duration_ms);
  const names = [...new Set((timeline.samples || []).map((s) => s.name).filter(Boolean))];
  const parentsOf = (name) => infoOf(timeline, name).parents;
  const leaves = names.filter((n) => !names.some((m) => parentsOf(m).includes(n)));
  const laneOf = new Map(names.map((n) => [n, n]));
  for (const n of names) {
    const below = leaves.filter((leaf) => parentsOf(leaf).includes(n));
    if (below.length === 1) laneOf.set(n, below[0]);
  }
  const byLane = new Map();
  for (const s of timeline.samples || []) {
    if (!s.name) continue;
    const key = laneOf.get(s.name);
    if (!byLane.has(key)) byLane.set(key, []);
    byLane.get(key).push(s);
  }
  const lanes = [];
  for (const [name, samples] of byLane) {
    samples.sort((a, b) => num(a.timestamp_ms) - num(b.timestamp_ms));
    const bars = [];
    let run = null;
    for (const s of samples) {
      const t = num(s.timestamp_ms);
      const confidence = num(s.confidence);
      if (run && t - run.last <= 1.5 * interval) {
        run.last = t;
        run.confidence = Math.max(run.confidence, confidence);
        continue;
      }
      if (run) bars.push(run);
      run = { start: t, last: t, confidence };
    }
    if (run) bars.push(run);
    const closed = bars.map(({ start, last, confidence }) => {
      let end = last + interval;
      if (endCap) end = Math.max(start, Math.min(end, endCap));
      return { start, end, confidence };
    });
    const max = Math.max(...closed.map((b) => b.confidence));
    const top = new Map();
    for (const s of samples) top.set(s.name, Math.max(top.get(s.name) ?? 0, num(s.confidence)));
    // most specific first: the leaf, then its parents in order
    const members = [name, ...parentsOf(name)].filter((n) => top.has(n));
    const shown = members.find((n) => top.get(n) >= max - NAME_MARGIN) || name;
    const { categories, parents } = infoOf(timeline, shown);
    lanes.push({ name: shown, categories, parents, members, bars: closed, max });
  }
  return lanes.sort((a, b) => b.max - a.max || a.name.localeCompare(b.name));
}

// Boxes are ratios of the frame; one reaching past an edge is drawn up to the edge.
function insideFrame(box) {
  const left = Math.min(1, Math.max(0, box.left));
  const top = Math.min(1, Math.max(0, box.top));
  const width = Math.max(0, Math.min(box.width - (left - box.left), 1 - left));
  const height = Math.max(0, Math.min(box.height - (top - box.top), 1 - top));
  return { ...box, left, top, width, height };
}

// A box covering the whole frame is a classifier's score for the picture, not a location.
function isWholeFrame(box) {
  return num(box.width) >= 0.999 && num(box.height) >= 0.999;
}

/** Sampled times -> sorted [{t, labels: [{name, confidence, categories, boxes}]}]. */
export function framesFromTimeline(timeline) {
  const frames = new Map();
  for (const s of timeline.samples || []) {
    const t = num(s.timestamp_ms);
    if (!frames.has(t)) frames.set(t, { t, labels: [] });
    frames.get(t).labels.push({
      name: s.name,
      confidence: num(s.confidence),
      categories: infoOf(timeline, s.name).categories,
      boxes: (s.instances || [])
        .filter((i) => i.box && !isWholeFrame(i.box))
        .map((i) =>
          insideFrame({
            left: num(i.box.left),
            top: num(i.box.top),
            width: num(i.box.width),
            height: num(i.box.height),
            confidence: num(i.confidence, num(s.confidence)),
          }),
        )
        .filter((b) => b.width > 0 && b.height > 0),
    });
  }
  for (const frame of frames.values()) frame.labels.sort((a, b) => byName(a.name, b.name));
  return [...frames.values()].sort((a, b) => a.t - b.t);
}

// Code point order, as the server sorts names.
function byName(a, b) {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Technical segments: shots between cuts, and runs of black frames, in time order. */
export function shotsFromTimeline(timeline) {
  const all = (timeline.shots || [])
    .map((s) => ({
      kind: s.kind,
      start: num(s.start_ms),
      end: num(s.end_ms),
      confidence: num(s.confidence),
    }))
    .sort((a, b) => a.start - b.start || String(a.kind).localeCompare(String(b.kind)));
  return {
    shots: all.filter((s) => s.kind === 'SHOT'),
    blackFrames: all.filter((s) => s.kind !== 'SHOT'),
  };
}

/** On-screen text readings: [{t, end, text, confidence}]; `end` (exclusive) is where the
 * engine last saw the line unchanged, null from engines that read single samples. */
export function textsFromTimeline(timeline) {
  return (timeline.texts || []).map((t) => ({
    t: num(t.timestamp_ms),
    end: t.end_ms === null || t.end_ms === undefined ? null : num(t.end_ms),
    text: t.text ?? '',
    confidence: num(t.confidence),
  }));
}

/** Everything the results view draws, from one timeline. */
export function resultsModel(timeline, fallbackDurationMs = 0) {
  return {
    lanes: lanesFromTimeline(timeline),
    frames: framesFromTimeline(timeline),
    ...shotsFromTimeline(timeline),
    texts: textsFromTimeline(timeline),
    durationMs: Math.max(1, num(timeline.video?.duration_ms) || num(fallbackDurationMs)),
    interval: sampleInterval(timeline),
  };
}

/** The frame sample shown at time `ms`: the latest one at or before it, within `span`. */
export function frameAt(frames, ms, span) {
  let lo = 0;
  let hi = frames.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid].t <= ms) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return null;
  return ms - frames[found].t <= span ? frames[found] : null;
}

/** Text detections merged into bars: a reading spans its window (one sample without
 * one); the same text on consecutive samples or windows is one bar. */
export function textBars(texts, interval) {
  const byText = new Map();
  for (const t of [...texts].sort((a, b) => a.t - b.t)) {
    const bars = byText.get(t.text) || [];
    const last = bars[bars.length - 1];
    const end = Math.max(t.end ?? 0, t.t + interval);
    if (last && t.t - last.end <= interval * 1.5) {
      last.end = Math.max(last.end, end);
      last.confidence = Math.max(last.confidence, t.confidence);
    } else {
      bars.push({ start: t.t, end, confidence: t.confidence });
    }
    byText.set(t.text, bars);
  }
  return byText;
}
