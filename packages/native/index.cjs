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
/** The file the addon was loaded from. */
binding.path = file;
module.exports = binding;
