// results.js: the player's model read from a timeline (the ?format=timeline result).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  frameAt,
  framesFromTimeline,
  lanesFromTimeline,
  resultOf,
  resultsModel,
  shotsFromTimeline,
  textBars,
  textsFromTimeline,
} from '../../src/streambet/web/js/results.js';

const WHOLE = { left: 0, top: 0, width: 1, height: 1 };
const LEFT = { left: 0.1, top: 0.2, width: 0.3, height: 0.4 };

function sample(name, t, confidence, boxes = []) {
  return {
    timestamp_ms: t,
    name,
    confidence,
    top_confidence: confidence,
    instances: boxes.map((box) => ({ box, confidence: confidence - 1 })),
    source: 'test',
  };
}

// 500 ms samples over a 4 s clip of which 3.2 s were analysed.
function timeline(samples, extra = {}) {
  return {
    video: { codec: 'h264', duration_ms: 4000, format: 'mp4', frame_rate: 25 },
    model_version: 'test',
    sample_interval_ms: 500,
    analysed_from_ms: 0,
    analysed_until_ms: 3200,
    samples,
    labels: {
      Cat: { name: 'Cat', parents: ['Animal'], aliases: [], categories: ['Animals and Pets'] },
      Animal: { name: 'Animal', parents: [], aliases: [], categories: ['Animals and Pets'] },
      Running: { name: 'Running', parents: [], aliases: [], categories: ['Person Description'] },
    },
    shots: [],
    texts: [],
    ...extra,
  };
}

describe('lanesFromTimeline', () => {
  it('joins samples up to 1.5 intervals apart into one bar ending an interval after the last', () => {
    const tl = timeline([sample('Cat', 0, 70), sample('Cat', 500, 90), sample('Cat', 1250, 60)]);
    const [cat] = lanesFromTimeline(tl);
    assert.deepEqual(cat.bars, [{ start: 0, end: 1750, confidence: 90 }]);
    assert.equal(cat.max, 90);
    assert.deepEqual(cat.categories, ['Animals and Pets']);
    assert.deepEqual(cat.parents, ['Animal']);
  });

  it('starts a new bar after a longer gap, and caps the last at the analysed end', () => {
    const tl = timeline([sample('Cat', 0, 70), sample('Cat', 1000, 80), sample('Cat', 3000, 85)]);
    const [cat] = lanesFromTimeline(tl);
    assert.deepEqual(cat.bars, [
      { start: 0, end: 500, confidence: 70 },
      { start: 1000, end: 1500, confidence: 80 },
      { start: 3000, end: 3200, confidence: 85 },
    ]);
  });

  it('reads samples in any order and caps at the duration when the analysed end is unknown', () => {
    const tl = timeline([sample('Cat', 3800, 80), sample('Cat', 3300, 75)], {
      analysed_until_ms: 0,
    });
    assert.deepEqual(lanesFromTimeline(tl)[0].bars, [{ start: 3300, end: 4000, confidence: 80 }]);
  });

  it('orders lanes by top confidence, then by name; a label without taxonomy facts has none', () => {
    const tl = timeline([
      sample('Dog', 0, 80),
      sample('Cat', 0, 80),
      sample('Running', 0, 95),
      sample('Mystery', 500, 50),
    ]);
    const lanes = lanesFromTimeline(tl);
    assert.deepEqual(
      lanes.map((l) => l.name),
      ['Running', 'Cat', 'Dog', 'Mystery'],
    );
    assert.deepEqual(lanes[3].categories, []);
    assert.deepEqual(lanes[3].parents, []);
  });

  it('gives no lanes for an empty or missing result', () => {
    assert.deepEqual(lanesFromTimeline(timeline([])), []);
    assert.deepEqual(lanesFromTimeline({}), []);
  });
});

describe('framesFromTimeline', () => {
  it('groups samples by time, names in code point order, located boxes only', () => {
    const tl = timeline([
      sample('Cat', 500, 90, [LEFT, WHOLE]),
      sample('Animal', 500, 92, [WHOLE]),
      sample('Cat', 0, 80),
    ]);
    const frames = framesFromTimeline(tl);
    assert.deepEqual(
      frames.map((f) => f.t),
      [0, 500],
    );
    const [animal, cat] = frames[1].labels;
    assert.equal(animal.name, 'Animal');
    assert.deepEqual(animal.boxes, []);
    assert.deepEqual(cat.boxes, [{ ...LEFT, confidence: 89 }]);
    assert.deepEqual(cat.categories, ['Animals and Pets']);
  });

  it('keeps boxes inside the frame and drops those wholly outside it', () => {
    const past = { left: 0.8, top: -0.1, width: 0.4, height: 0.5 };
    const outside = { left: 1.2, top: 0.1, width: 0.2, height: 0.2 };
    const [frame] = framesFromTimeline(timeline([sample('Cat', 0, 90, [past, outside])]));
    const [box] = frame.labels[0].boxes;
    assert.equal(frame.labels[0].boxes.length, 1);
    assert.equal(box.left, 0.8);
    assert.equal(box.top, 0);
    assert.ok(Math.abs(box.width - 0.2) < 1e-9 && Math.abs(box.height - 0.4) < 1e-9);
  });
});

describe('one lane per label family', () => {
  it('folds a parent over one label into its lane; a parent over several keeps its own', () => {
    const labels = {
      ...timeline([]).labels,
      Dog: { name: 'Dog', parents: ['Animal'], aliases: [], categories: ['Animals and Pets'] },
    };
    const catOnly = timeline([
      sample('Cat', 0, 90),
      sample('Animal', 0, 95),
      sample('Animal', 1500, 85), // a moment only the parent was seen: in the Cat lane
      sample('Running', 0, 60),
    ]);
    const lanes = lanesFromTimeline(catOnly);
    // the lane is named after Cat (90, within 5 of the family's 95), Animal's child
    assert.deepEqual(
      lanes.map((l) => [l.name, l.parents]),
      [
        ['Cat', ['Animal']],
        ['Running', []],
      ],
    );
    assert.deepEqual(lanes[0].bars, [
      { start: 0, end: 500, confidence: 95 },
      { start: 1500, end: 2000, confidence: 85 },
    ]);
    assert.deepEqual(lanes[0].members, ['Cat', 'Animal']);
    const both = timeline([sample('Cat', 0, 90), sample('Dog', 0, 80), sample('Animal', 0, 95)], {
      labels,
    });
    assert.deepEqual(
      lanesFromTimeline(both).map((l) => l.name),
      ['Animal', 'Cat', 'Dog'],
    );
  });
});

describe('shots and texts', () => {
  it('splits shots from black frames, in time order', () => {
    const tl = timeline([], {
      shots: [
        { kind: 'SHOT', start_ms: 2000, end_ms: 4000, confidence: 99, index: 1 },
        { kind: 'BLACK_FRAMES', start_ms: 0, end_ms: 400, confidence: 100, index: 0 },
        { kind: 'SHOT', start_ms: 0, end_ms: 2000, confidence: 98, index: 0 },
      ],
    });
    const { shots, blackFrames } = shotsFromTimeline(tl);
    assert.deepEqual(
      shots.map((s) => [s.start, s.end]),
      [
        [0, 2000],
        [2000, 4000],
      ],
    );
    assert.deepEqual(blackFrames, [{ kind: 'BLACK_FRAMES', start: 0, end: 400, confidence: 100 }]);
  });

  it('reads on-screen text and merges consecutive readings into bars', () => {
    const tl = timeline([], {
      texts: [
        { timestamp_ms: 0, text: 'GOAL', confidence: 90, box: null },
        { timestamp_ms: 500, text: 'GOAL', confidence: 95, box: LEFT },
        { timestamp_ms: 2500, text: 'GOAL', confidence: 70, box: null },
        { timestamp_ms: 500, text: '1-0', confidence: 80, box: null },
      ],
    });
    const texts = textsFromTimeline(tl);
    assert.deepEqual(texts[0], { t: 0, end: null, text: 'GOAL', confidence: 90 });
    const bars = textBars(texts, 500);
    assert.deepEqual(bars.get('GOAL'), [
      { start: 0, end: 1000, confidence: 95 },
      { start: 2500, end: 3000, confidence: 70 },
    ]);
    assert.deepEqual(bars.get('1-0'), [{ start: 500, end: 1000, confidence: 80 }]);
  });

  it('draws a reading over its window (read once, seen until end_ms)', () => {
    const tl = timeline([], {
      texts: [
        { timestamp_ms: 1000, end_ms: 9000, text: 'TAXI', confidence: 99, box: LEFT },
        { timestamp_ms: 9000, end_ms: 9500, text: 'TAXI', confidence: 90, box: LEFT },
      ],
    });
    const texts = textsFromTimeline(tl);
    assert.equal(texts[0].end, 9000);
    assert.deepEqual(textBars(texts, 500).get('TAXI'), [
      { start: 1000, end: 9500, confidence: 99 },
    ]);
  });
});

describe('resultsModel', () => {
  it('takes the duration and the sample interval from the timeline', () => {
    const model = resultsModel(timeline([sample('Cat', 0, 90)]), 9999);
    assert.equal(model.durationMs, 4000);
    assert.equal(model.interval, 500);
    assert.equal(model.lanes.length, 1);
    assert.equal(model.frames.length, 1);
    assert.deepEqual(model.shots, []);
    assert.deepEqual(model.texts, []);
  });

  it('falls back to the given duration, and never to zero', () => {
    assert.equal(resultsModel({}, 1234).durationMs, 1234);
    assert.equal(resultsModel({}).durationMs, 1);
  });
});

describe('frameAt', () => {
  const frames = [{ t: 0 }, { t: 500 }, { t: 1000 }];

  it('finds the latest sample at or before the time, within the span', () => {
    assert.equal(frameAt(frames, 0, 750), frames[0]);
    assert.equal(frameAt(frames, 999, 750), frames[1]);
    assert.equal(frameAt(frames, 1000, 750), frames[2]);
    assert.equal(frameAt(frames, 1750, 750), frames[2]);
  });

  it('finds nothing before the first sample, past the span, or in no samples', () => {
    assert.equal(frameAt(frames, -1, 750), null);
    assert.equal(frameAt(frames, 1751, 750), null);
    assert.equal(frameAt([], 0, 750), null);
  });
});

describe('resultOf', () => {
  it('is the result of a finished analysis, else empty', () => {
    assert.deepEqual(resultOf({ status: 'succeeded', result: { samples: [] } }), { samples: [] });
    assert.deepEqual(resultOf({ status: 'running', result: null }), {});
    assert.deepEqual(resultOf(undefined), {});
  });
});
