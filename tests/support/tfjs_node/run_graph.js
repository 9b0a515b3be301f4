// Runs a TF.js graph model with @tensorflow/tfjs (pure-JS CPU backend) to produce reference
// outputs for the converter parity test. No network, no native binary.
// usage: node run_graph.js <tfjs_module_dir> <model.json> <input.bin> <d0,d1,...> <out_dir> <name,...>
// input.bin is float32 little-endian; writes <out_dir>/<i>.bin (float32) and meta.json.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [moduleDir, modelJson, inputBin, shapeArg, outDir, namesArg] = process.argv.slice(2);
  const tf = require(path.join(moduleDir, 'node_modules', '@tensorflow', 'tfjs'));
  await tf.setBackend('cpu');
  const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const specs = [];
  const buffers = [];
  for (const group of model.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelJson), p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const graph = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, weightSpecs: specs, weightData,
  }));
  const raw = fs.readFileSync(inputBin);
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const shape = shapeArg.split(',').map(Number);
  const input = tf.tensor(data, shape, 'float32');
  const inputName = Object.keys(model.signature.inputs)[0];
  const names = namesArg.split(',');
  let outs = graph.execute({ [inputName]: input }, names);
  if (!Array.isArray(outs)) outs = [outs];
  fs.mkdirSync(outDir, { recursive: true });
  const meta = [];
  for (let i = 0; i < outs.length; i++) {
    const values = await outs[i].data();
    fs.writeFileSync(path.join(outDir, `${i}.bin`), Buffer.from(Float32Array.from(values).buffer));
    meta.push({ name: names[i], shape: outs[i].shape, dtype: outs[i].dtype });
  }
  fs.writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify(meta));
}

main().catch((err) => { console.error(err.stack || String(err)); process.exit(1); });
