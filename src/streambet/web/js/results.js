// Reading analysis results in any of the documented shapes into one model for the player:
// lanes (label bars from Rekognition SEGMENTS), frames (boxes from TIMESTAMPS), shots, texts.

function num(v, fallback = 0) {
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** The result inside GET /api/analyses/{id} ({} until the analysis has succeeded). */
export function resultOf(payload) {
  return (payload && payload.result) || {};
}

/** Rekognition SEGMENTS -> [{name, categories, parents, bars: [{start, end, confidence}]}]. */
export function lanesFromSegments(rek) {
  const lanes = new Map();
  for (const item of rek.Labels || []) {
    const label = item.Label || {};
    const name = label.Name;
    if (!name) continue;
    if (!lanes.has(name)) {
      lanes.set(name, {
        name,
        categories: (label.Categories || []).map((c) => c.Name),
        parents: (label.Parents || []).map((p) => p.Name),
        bars: [],
        max: 0,
      });
    }
    const lane = lanes.get(name);
    const start = num(item.StartTimestampMillis);
    const end = num(item.EndTimestampMillis);
    const confidence = num(label.Confidence);
    lane.bars.push({ start, end: Math.max(end, start), confidence });
    lane.max = Math.max(lane.max, confidence);
  }
  return [...lanes.values()].sort((a, b) => b.max - a.max || a.name.localeCompare(b.name));
}

/** Rekognition TIMESTAMPS -> sorted [{t, boxes: [{name, confidence, left, top, width, height}]}]. */
export function framesFromTimestamps(rek) {
  const frames = new Map();
  for (const item of rek.Labels || []) {
    const label = item.Label || {};
    const t = num(item.Timestamp);
    if (!frames.has(t)) frames.set(t, { t, labels: [] });
    frames.get(t).labels.push({
      name: label.Name,
      confidence: num(label.Confidence),
      categories: (label.Categories || []).map((c) => c.Name),
      boxes: (label.Instances || [])
        .filter((i) => i.BoundingBox)
        .map((i) => ({
          left: num(i.BoundingBox.Left),
          top: num(i.BoundingBox.Top),
          width: num(i.BoundingBox.Width),
          height: num(i.BoundingBox.Height),
          confidence: num(i.Confidence, num(label.Confidence)),
        })),
    });
  }
  return [...frames.values()].sort((a, b) => a.t - b.t);
}

/** The segments shape (Rekognition's segment and text detection fields). */
export function shotsAndTexts(seg) {
  const shots = (seg.Segments || []).map((s) => ({
    kind: s.Type,
    start: num(s.StartTimestampMillis),
    end: num(s.EndTimestampMillis),
    confidence: num(s.ShotSegment?.Confidence, num(s.TechnicalCueSegment?.Confidence)),
  }));
  const texts = (seg.TextDetections || []).map((t) => ({
    t: num(t.Timestamp),
    text: t.TextDetection?.DetectedText ?? '',
    confidence: num(t.TextDetection?.Confidence),
  }));
  return { shots, texts };
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

/** Text detections merged into bars: same text on consecutive samples is one bar. */
export function textBars(texts, interval) {
  const byText = new Map();
  for (const t of [...texts].sort((a, b) => a.t - b.t)) {
    const bars = byText.get(t.text) || [];
    const last = bars[bars.length - 1];
    if (last && t.t - last.end <= interval * 1.5) {
      last.end = t.t + interval;
      last.confidence = Math.max(last.confidence, t.confidence);
    } else {
      bars.push({ start: t.t, end: t.t + interval, confidence: t.confidence });
    }
    byText.set(t.text, bars);
  }
  return byText;
}
