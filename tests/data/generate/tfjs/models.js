// Build the TF.js reference models with TensorFlow.js' layers API, give them seeded random
// weights, and save each as <out>/<name>/model.json + weights.bin, the layout TF.js' Node
// file handler (`model.save('file://...')`) writes.
//
//   node models.js <out folder>
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const L = tf.layers;

function mlp() {
  const model = tf.sequential({name: 'mlp', layers: [
    L.dense({units: 8, activation: 'relu', inputShape: [6], kernelRegularizer: 'l1l2'}),
    L.batchNormalization(),
    L.dropout({rate: 0.25}),
    L.dense({units: 7, activation: 'tanh', useBias: false}),
    L.activation({activation: 'softsign'}),
    L.layerNormalization(),
    L.dense({units: 3, activation: 'softmax'}),
  ]});
  model.compile({optimizer: tf.train.adam(0.005), loss: 'sparseCategoricalCrossentropy',
                 metrics: ['accuracy']});
  return model;
}

function cnn2d() {
  const inp = tf.input({shape: [10, 10, 3], name: 'image'});
  let x = L.conv2d({filters: 4, kernelSize: 3, padding: 'same', activation: 'relu'}).apply(inp);
  x = L.conv2d({filters: 6, kernelSize: 3, dilationRate: 2}).apply(x);
  x = L.depthwiseConv2d({kernelSize: 3, depthMultiplier: 2, padding: 'same',
                         activation: 'relu6'}).apply(x);
  x = L.separableConv2d({filters: 5, kernelSize: 3, strides: 2, padding: 'same'}).apply(x);
  x = L.batchNormalization().apply(x);
  x = L.conv2dTranspose({filters: 3, kernelSize: 3, strides: 2, padding: 'same'}).apply(x);
  x = L.conv2dTranspose({filters: 3, kernelSize: [2, 3], strides: [1, 2]}).apply(x);
  x = L.zeroPadding2d({padding: [[1, 0], [2, 1]]}).apply(x);
  x = L.maxPooling2d({poolSize: 2, strides: 1}).apply(x);
  x = L.averagePooling2d({poolSize: 2, padding: 'same'}).apply(x);
  const up = L.upSampling2d({size: [2, 2]}).apply(x);
  const pooled = [L.globalAveragePooling2d({}).apply(up), L.globalMaxPooling2d({}).apply(x),
                  L.flatten().apply(L.maxPooling2d({poolSize: 4}).apply(up))];
  const out = L.dense({units: 3, activation: 'selu'}).apply(L.concatenate().apply(pooled));
  return tf.model({name: 'cnn2d', inputs: inp, outputs: out});
}

function conv1d() {
  const inp = tf.input({shape: [12, 3], name: 'signal'});
  let x = L.conv1d({filters: 4, kernelSize: 3, dilationRate: 2,  // TF.js runs no 'causal'
                    activation: 'elu'}).apply(inp);
  x = L.conv1d({filters: 5, kernelSize: 3, strides: 2, padding: 'same'}).apply(x);
  const a = L.maxPooling1d({poolSize: 2, padding: 'same'}).apply(x);
  const b = L.averagePooling1d({poolSize: 2, strides: 1}).apply(x);
  const out = L.concatenate().apply([L.globalMaxPooling1d({}).apply(a),
                                     L.globalAveragePooling1d({}).apply(b)]);
  return tf.model({name: 'conv1d', inputs: inp, outputs: L.dense({units: 2}).apply(out)});
}

function recurrent() {
  const ids = tf.input({shape: [7], name: 'ids'});
  let x = L.embedding({inputDim: 20, outputDim: 4}).apply(ids);
  x = L.lstm({units: 5, returnSequences: true}).apply(x);        // hard_sigmoid gates
  x = L.gru({units: 4, returnSequences: true}).apply(x);         // reset_after = false
  x = L.gru({units: 4, returnSequences: true, goBackwards: true,
             recurrentActivation: 'sigmoid'}).apply(x);
  x = L.simpleRNN({units: 3, returnSequences: true, activation: 'relu'}).apply(x);
  x = L.bidirectional({layer: L.lstm({units: 3, returnSequences: true})}).apply(x);
  x = L.timeDistributed({layer: L.dense({units: 2, activation: 'tanh'})}).apply(x);
  const [seq, h, c] = L.lstm({units: 3, returnState: true, returnSequences: true}).apply(x);
  const summed = L.bidirectional({layer: L.gru({units: 2}), mergeMode: 'sum'}).apply(seq);
  const out = L.concatenate().apply([summed, h, c]);
  return tf.model({name: 'recurrent', inputs: ids, outputs: L.dense({units: 2}).apply(out)});
}

function masked() {
  return tf.sequential({name: 'masked', layers: [
    L.embedding({inputDim: 10, outputDim: 3, maskZero: true, inputShape: [6]}),
    L.lstm({units: 4}),
    L.dense({units: 2}),
  ]});
}

function merge() {
  const a = tf.input({shape: [6], name: 'a'});
  const b = tf.input({shape: [6], name: 'b'});
  const c = tf.input({shape: [2, 3], name: 'c'});
  const shared = L.dense({units: 6, activation: 'tanh', name: 'shared'});
  const ha = shared.apply(a);
  const hb = shared.apply(b);
  const merged = [L.add().apply([ha, hb]), L.multiply().apply([ha, hb]),
                  L.average().apply([ha, hb, a]), L.maximum().apply([ha, hb]),
                  L.minimum().apply([ha, hb])];
  let x = L.concatenate().apply(merged);                          // 30
  x = L.reshape({targetShape: [10, 3]}).apply(x);
  x = L.permute({dims: [2, 1]}).apply(x);                         // 3x10
  x = L.permute({dims: [2, 1]}).apply(x);                         // 10x3
  x = L.concatenate({axis: 1}).apply([x, c]);                     // 12x3
  x = L.layerNormalization({axis: 1}).apply(x);
  x = L.flatten().apply(x);
  const head1 = L.dense({units: 2, name: 'head1'}).apply(x);
  const head2 = L.dense({units: 1, activation: 'sigmoid', name: 'head2'}).apply(shared.apply(a));
  return tf.model({name: 'merge', inputs: [a, b, c], outputs: [head1, head2]});
}

const MODELS = {mlp, cnn2d, conv1d, recurrent, masked, merge};

function randomize(model, seed) {
  const values = model.weights.map((w, i) => (w.name.includes('moving_variance') ?
      tf.randomUniform(w.shape, 0.5, 1.5, 'float32', seed + i) :
      tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + i)));
  model.setWeights(values);
}

async function saveToFolder(model, folder) {
  fs.mkdirSync(folder, {recursive: true});
  // a compiled model is saved with its training config and optimizer state, as TF.js can
  const options = {includeOptimizer: model.optimizer != null};
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{paths: ['./weights.bin'], weights: artifacts.weightSpecs}],
    };
    if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
    fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify(modelJson));
    fs.writeFileSync(path.join(folder, 'weights.bin'), Buffer.from(artifacts.weightData));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }), options);
}

async function main(out) {
  let seed = 1;
  for (const [name, build] of Object.entries(MODELS)) {
    const model = build();
    randomize(model, 1000 * seed++);
    if (model.optimizer != null) {  // one epoch, so the optimizer has state to save
      const x = tf.randomNormal([16, 6], 0, 1, 'float32', 7);
      const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'float32');
      await model.fit(x, y, {epochs: 1, batchSize: 8, verbose: 0});
    }
    await saveToFolder(model, path.join(out, name));
    console.log('tfjs', name, tf.version.tfjs);
  }
}

main(process.argv[2]).catch((err) => {
  console.error(err.stack || err);
  process.exit(1);
});
