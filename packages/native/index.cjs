'use strict';
// The compiled addon; @netpol/core loads this inside try/catch and falls back to its JS
// kernel when it is missing (see nativeStatus() in @netpol/core).
module.exports = require('./build/Release/netpol_native.node');
