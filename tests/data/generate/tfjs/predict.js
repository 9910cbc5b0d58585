// Load a TF.js layers model from disk through TensorFlow.js' own HTTP loader (a fetch that
// reads files instead of URLs) and write its predictions for the given inputs.
//
//   node predict.js <model.json> <inputs.json> <outputs.json>
//
// inputs.json:  [{"shape": [...], "dtype": "float32" | "int32", "data": [...]}, ...]
// outputs.json: the same layout, one entry per model output.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function readFileAsResponse(url) {
  const file = path.normalize(decodeURI(url.split('?')[0]));
  if (!fs.existsSync(file)) {
    return new Response(null, {status: 404, statusText: `no file ${file}`});
  }
  return new Response(fs.readFileSync(file));
}

async function loadFromDisk(modelJson) {
  const handler = tf.io.http(path.resolve(modelJson),
                             {fetchFunc: async (url) => readFileAsResponse(url)});
  return tf.loadLayersModel(handler);
}

async function predictToFile(modelJson, inputsJson, outputsJson) {
  const model = await loadFromDisk(modelJson);
  const specs = JSON.parse(fs.readFileSync(inputsJson, 'utf8'));
  const inputs = specs.map((s) => tf.tensor(s.data, s.shape, s.dtype));
  let outputs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  outputs = Array.isArray(outputs) ? outputs : [outputs];
  const result = outputs.map((t) => ({shape: t.shape, dtype: t.dtype,
                                      data: Array.from(t.dataSync())}));
  fs.writeFileSync(outputsJson, JSON.stringify(result));
  return model;
}

module.exports = {loadFromDisk, predictToFile};

if (require.main === module) {
  const [modelJson, inputsJson, outputsJson] = process.argv.slice(2);
  predictToFile(modelJson, inputsJson, outputsJson).catch((err) => {
    console.error(err.stack || err);
    process.exit(1);
  });
}
