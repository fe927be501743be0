'use strict';
// The addon, found by node-gyp-build: build/Release/ first (a build from source, by
// scripts/build.mjs), then the binary prebuilt for this platform in prebuilds/ (the tarball
// carries it, so npm and pnpm install this package without running anything). @netpol/core
// loads this inside try/catch and falls back to its JS kernel; nativeStatus() there tells the
// error codes apart: NETPOL_NATIVE_NO_BUILD (nothing for this platform) from a binary that
// failed to load.
const load = require('node-gyp-build');

let file;
try {
  file = load.resolve(__dirname);
} catch (e) {
  e.code = 'NETPOL_NATIVE_NO_BUILD';
  throw e;
}
const binding = require(file);

// One assignment per export, so that Node sees the names when ESM imports this file
// (index.d.cts declares the same ones).
exports.version = binding.version;
exports.path = file;
exports.loadImage = binding.loadImage;
exports.releaseImage = binding.releaseImage;
exports.verdictBatch = binding.verdictBatch;
